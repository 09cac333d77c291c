/**
 * The Account section of the Profile tab: change the password, see where the
 * account is signed in and sign other devices out, delete the account.
 */
import { useEffect, useState } from "preact/hooks";
import type { TargetedSubmitEvent } from "preact";
import { ImError } from "../client/mod.ts";
import type { Session as SignedInSession } from "../shared/types.ts";
import { FieldError } from "./components.tsx";
import { errorText, type Session } from "./session.ts";
import { dateTime, deviceName, lastActive } from "./user_agent.ts";

/** The shortest password the server takes (PROTOCOL.md limits). */
const PASSWORD_MIN = 8;

/** A server error in words a person can act on; `wrong` is said for a wrong password. */
function advice(error: unknown, wrong: string): string {
  if (error instanceof ImError && error.code === "invalid_credentials") return wrong;
  if (error instanceof ImError && error.code === "rate_limited") {
    return "Too many tries. Wait a minute, then try again.";
  }
  // fetch() rejects with a TypeError when the server cannot be reached.
  if (error instanceof TypeError || (error instanceof ImError && error.status === 0)) {
    return "Cannot reach the server. Check your connection and try again.";
  }
  return errorText(error);
}

/** The Account section; `onBack` returns to the profile form. */
export function AccountSettings({ session, onBack }: { session: Session; onBack: () => void }) {
  const [sessions, setSessions] = useState<SignedInSession[] | null>(null);
  const [listError, setListError] = useState("");
  // Each reload of the list starts its status line afresh.
  const [loads, setLoads] = useState(0);
  const load = async () => {
    try {
      // This device first, then the others as the server lists them (oldest first).
      const list = await session.client.sessions();
      setSessions([...list.filter((s) => s.current), ...list.filter((s) => !s.current)]);
      setListError("");
      setLoads((n) => n + 1);
    } catch (error) {
      setListError(advice(error, ""));
    }
  };
  useEffect(() => void load(), [session]);
  return (
    <section class="account" aria-labelledby="account-title">
      <button type="button" class="link" onClick={onBack}>← Back to profile</button>
      <h2 id="account-title">Account</h2>
      <PasswordForm session={session} onChanged={() => void load()} />
      <Sessions
        key={loads}
        session={session}
        sessions={sessions}
        error={listError}
        onEnded={(id) => setSessions((list) => list?.filter((s) => s.id !== id) ?? null)}
      />
      <DeleteAccount session={session} />
    </section>
  );
}

function PasswordForm({ session, onChanged }: { session: Session; onChanged: () => void }) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? "");
    setDone("");
    if (value("new-password").length < PASSWORD_MIN) {
      return setErrors({ new: `Use at least ${PASSWORD_MIN} characters.` });
    }
    if (value("new-password") !== value("confirm-password")) {
      return setErrors({ confirm: "The two new passwords are not the same. Type them again." });
    }
    setErrors({});
    setBusy(true);
    try {
      await session.client.changePassword(value("current-password"), value("new-password"));
      form.reset();
      setDone("Password changed. Your other devices were signed out.");
      onChanged();
    } catch (error) {
      const text = advice(error, "That is not your current password.");
      setErrors(
        error instanceof ImError && error.code === "invalid_credentials"
          ? { current: text }
          : { form: text },
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="account-block" onSubmit={submit} aria-labelledby="password-title">
      <h3 id="password-title">Change password</h3>
      <label for="current-password">Current password</label>
      <input
        id="current-password"
        name="current-password"
        type="password"
        autocomplete="current-password"
        required
        aria-describedby="current-password-error"
      />
      <FieldError id="current-password-error">{errors.current}</FieldError>
      <label for="new-password">New password</label>
      <input
        id="new-password"
        name="new-password"
        type="password"
        autocomplete="new-password"
        required
        maxlength={128}
        aria-describedby="new-password-hint new-password-error"
      />
      <p class="muted" id="new-password-hint">{`At least ${PASSWORD_MIN} characters.`}</p>
      <FieldError id="new-password-error">{errors.new}</FieldError>
      <label for="confirm-password">Confirm new password</label>
      <input
        id="confirm-password"
        name="confirm-password"
        type="password"
        autocomplete="new-password"
        required
        maxlength={128}
        aria-describedby="confirm-password-error"
      />
      <FieldError id="confirm-password-error">{errors.confirm}</FieldError>
      <button type="submit" disabled={busy}>Change password</button>
      <FieldError id="password-form-error">{errors.form}</FieldError>
      <p class="success" role="status">{done}</p>
    </form>
  );
}

function Sessions({ session, sessions, error, onEnded }: {
  session: Session;
  sessions: SignedInSession[] | null;
  error: string;
  onEnded: (id: string) => void;
}) {
  const [status, setStatus] = useState("");
  const end = async (s: SignedInSession) => {
    setStatus("");
    try {
      await session.client.endSession(s.id);
      onEnded(s.id);
      setStatus(`Signed out ${deviceName(s.userAgent)}.`);
    } catch (e) {
      setStatus(advice(e, ""));
    }
  };
  return (
    <div class="account-block" aria-labelledby="sessions-title">
      <h3 id="sessions-title">Where you are signed in</h3>
      <FieldError>{error}</FieldError>
      {sessions === null && !error && <p class="muted">Loading…</p>}
      <ul class="sessions">
        {sessions?.map((s) => (
          <li key={s.id} class="session" data-session={s.id}>
            <span class="conv-text">
              <span class="session-device" title={s.userAgent}>
                {deviceName(s.userAgent)}
                {s.current && <span class="this-device">This device</span>}
              </span>
              <span class="muted">{`Signed in ${dateTime(s.createdAt)}`}</span>
              <span class="muted">{s.current ? "Active now" : lastActive(s.lastSeenAt)}</span>
            </span>
            {!s.current && (
              <button
                type="button"
                class="secondary"
                aria-label={`Sign out ${deviceName(s.userAgent)}, signed in ${
                  dateTime(s.createdAt)
                }`}
                onClick={() => void end(s)}
              >
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      <p class="muted" role="status">{status}</p>
    </div>
  );
}

function DeleteAccount({ session }: { session: Session }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get("delete-password") ?? "");
    setError("");
    setBusy(true);
    try {
      await session.deleteAccount(password);
    } catch (e) {
      setError(advice(e, "That password is not right. Your account was not deleted."));
      setBusy(false);
    }
  };

  return (
    <div class="account-block danger-zone" aria-labelledby="delete-title">
      <h3 id="delete-title">Delete account</h3>
      <p class="muted">
        Your friends, groups and pictures are removed and you are signed out everywhere. Messages
        you sent stay in other people's chats under the name “Deleted account”. This cannot be
        undone.
      </p>
      {!asking
        ? (
          <button type="button" class="danger" onClick={() => setAsking(true)}>
            Delete account…
          </button>
        )
        : (
          <form onSubmit={submit} aria-label="Confirm deleting your account">
            <label for="delete-password">Enter your password to delete your account</label>
            <input
              id="delete-password"
              name="delete-password"
              type="password"
              autocomplete="current-password"
              required
              aria-describedby="delete-error"
            />
            <FieldError id="delete-error">{error}</FieldError>
            <div class="actions">
              <button type="submit" class="danger" disabled={busy}>Delete my account</button>
              <button type="button" class="secondary" onClick={() => setAsking(false)}>
                Cancel
              </button>
            </div>
          </form>
        )}
    </div>
  );
}
