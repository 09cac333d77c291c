/**
 * The Profile tab: nickname and avatar, with the image type checked before upload; the
 * Account section and the blocked people are screens of their own.
 */
import { useEffect, useState } from "preact/hooks";
import { AccountSettings } from "./account_settings.tsx";
import { Avatar, FieldError } from "./components.tsx";
import { BlockedList } from "./person_screen.tsx";
import { imageProblem } from "./errors.ts";
import { errorText, IMAGE_TYPES, type Session } from "./session.ts";
import type { State } from "./state.ts";

/** The profile form, and the Account and Blocked people screens it leads to. */
export function ProfilePanel({ state, session }: { state: State; session: Session }) {
  const [screen, setScreen] = useState<"profile" | "account" | "blocked">("profile");
  const back = () => setScreen("profile");
  if (screen === "account") return <AccountSettings session={session} onBack={back} />;
  if (screen === "blocked") return <BlockedList state={state} session={session} onBack={back} />;
  return (
    <ProfileForm
      state={state}
      session={session}
      onAccount={() => setScreen("account")}
      onBlocked={() => setScreen("blocked")}
    />
  );
}

function ProfileForm({ state, session, onAccount, onBlocked }: {
  state: State;
  session: Session;
  onAccount: () => void;
  onBlocked: () => void;
}) {
  const me = state.me;
  const [chosen, setChosen] = useState<{ file: File; url: string } | null>(null);
  const [errors, setErrors] = useState({ nickname: "", avatar: "" });
  const [saved, setSaved] = useState("");
  useEffect(() => () => chosen && URL.revokeObjectURL(chosen.url), [chosen]);

  const choose = (input: HTMLInputElement) => {
    setErrors((e) => ({ ...e, avatar: "" }));
    const file = input.files?.[0] ?? null;
    if (!file) return setChosen(null);
    const problem = imageProblem(file);
    if (problem) {
      setChosen(null);
      return setErrors((e) => ({ ...e, avatar: problem }));
    }
    setChosen({ file, url: URL.createObjectURL(file) });
  };

  const save = async (form: HTMLFormElement) => {
    setErrors({ nickname: "", avatar: "" });
    setSaved("");
    const nickname = String(new FormData(form).get("nickname") ?? "");
    const patch: { nickname?: string; avatar?: string } = {};
    if (nickname !== me.nickname) patch.nickname = nickname;
    if (chosen) {
      try {
        const { file } = chosen;
        const media = await session.client.uploadMedia(
          new Uint8Array(await file.arrayBuffer()),
          file.type,
        );
        patch.avatar = media.id;
      } catch (error) {
        return setErrors((e) => ({ ...e, avatar: errorText(error) }));
      }
    }
    if (Object.keys(patch).length === 0) return;
    try {
      const user = await session.client.updateMe(patch);
      session.dispatch({ type: "profile", user });
      setSaved("Saved");
    } catch (error) {
      setErrors((e) => ({ ...e, nickname: errorText(error) }));
    }
  };

  return (
    <form
      class="profile"
      onSubmit={(e) => {
        e.preventDefault();
        void save(e.currentTarget);
      }}
    >
      <h2>Profile</h2>
      <p class="muted">{`Signed in as @${me.username}`}</p>
      <div class="avatar-preview">
        {chosen
          ? <img class="avatar large" src={chosen.url} alt="New avatar" />
          : <Avatar who={me} size="large" />}
      </div>
      <label for="profile-avatar">Avatar (PNG, JPEG, GIF or WebP, up to 5 MB)</label>
      <input
        id="profile-avatar"
        type="file"
        accept={IMAGE_TYPES.join(",")}
        aria-describedby="profile-avatar-error"
        onChange={(e) => choose(e.currentTarget)}
      />
      <FieldError id="profile-avatar-error">{errors.avatar}</FieldError>
      <label for="profile-nickname">Nickname</label>
      <input
        id="profile-nickname"
        name="nickname"
        defaultValue={me.nickname}
        maxlength={64}
        aria-describedby="profile-nickname-error"
      />
      <FieldError id="profile-nickname-error">{errors.nickname}</FieldError>
      <button type="submit">Save</button>
      <p class="muted" role="status">{saved}</p>
      <h2>Account</h2>
      <button type="button" class="secondary" onClick={onAccount}>
        Password, devices and account…
      </button>
      <h2>Privacy</h2>
      <button type="button" class="secondary" onClick={onBlocked}>
        Blocked people…
      </button>
    </form>
  );
}
