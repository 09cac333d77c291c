/** The sign-in and registration screen. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { TargetedSubmitEvent } from "preact";
import { ImClient, ImError } from "../client/mod.ts";
import type { User } from "../shared/types.ts";
import { FieldError } from "./components.tsx";
import { errorText, TOKEN_KEY } from "./session.ts";

/** Where a server error belongs in a form: next to the field it names, or under the form. */
export function fieldOf(error: unknown, fields: string[]): [string, string] {
  const message = errorText(error);
  // Wrong credentials name both fields; they belong to the form as a whole.
  if (error instanceof ImError && error.code === "invalid_credentials") return ["form", message];
  const lower = message.toLowerCase();
  const field = fields.find((f) => lower.includes(f.toLowerCase())) ?? "form";
  return [field, message];
}

/** The form; `notice` says why it shows (e.g. signed out elsewhere). */
export function SignIn({ notice, onSignedIn }: {
  notice?: string;
  onSignedIn: (client: ImClient, user: User) => void;
}) {
  const [mode, setMode] = useState<"login" | "register">("login");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const username = useRef<HTMLInputElement>(null);
  useEffect(() => username.current?.focus(), [mode]);
  const login = mode === "login";

  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (name: string) => String(form.get(name) ?? "");
    setErrors({});
    setBusy(true);
    const client = new ImClient({ baseUrl: location.origin });
    try {
      const { user, token } = login
        ? await client.login(value("username"), value("password"))
        : await client.register(
          value("username"),
          value("password"),
          value("nickname") || undefined,
        );
      localStorage.setItem(TOKEN_KEY, token);
      onSignedIn(client, user);
    } catch (error) {
      const [field, message] = fieldOf(error, ["username", "password", "nickname"]);
      setErrors({ [field]: message });
      setBusy(false);
    }
  };

  return (
    <main class="auth">
      <div class="brand">im</div>
      <form class="auth-form" onSubmit={submit}>
        <h1>{login ? "Sign in" : "Create an account"}</h1>
        {notice && <p class="notice" role="status">{notice}</p>}
        <label for="username">Username</label>
        <input
          ref={username}
          id="username"
          name="username"
          autocomplete="username"
          required
          aria-describedby="username-error"
        />
        <FieldError id="username-error">{errors.username}</FieldError>
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete={login ? "current-password" : "new-password"}
          required
          aria-describedby="password-error"
        />
        <FieldError id="password-error">{errors.password}</FieldError>
        {!login && (
          <>
            <label for="nickname">Nickname (optional)</label>
            <input id="nickname" name="nickname" autocomplete="nickname" />
            <FieldError id="nickname-error">{errors.nickname}</FieldError>
          </>
        )}
        <button type="submit" disabled={busy}>{login ? "Sign in" : "Create account"}</button>
        <FieldError id="form-error">{errors.form}</FieldError>
        <button
          type="button"
          class="link"
          onClick={() => {
            setErrors({});
            setMode(login ? "register" : "login");
          }}
        >
          {login ? "No account? Create one" : "Have an account? Sign in"}
        </button>
      </form>
    </main>
  );
}
