/**
 * The web client's entry point, bundled by `deno task build:web` into
 * web/dist/app.js: signed in from a stored token, or the sign-in screen.
 */
import { render } from "preact";
import { ImClient, ImError } from "../client/mod.ts";
import type { User } from "../shared/types.ts";
import { Session, TOKEN_KEY } from "./session.ts";
import { Shell } from "./shell.tsx";
import { SignIn } from "./sign_in.tsx";

function signIn(root: HTMLElement): void {
  render(<SignIn onSignedIn={(client, user) => void begin(root, client, user)} />, root);
}

async function begin(root: HTMLElement, client: ImClient, user: User): Promise<void> {
  const session = new Session(client, user);
  (globalThis as { im?: Session }).im = session;
  const logout = async () => {
    await session.logout();
    location.reload();
  };
  render(<Shell session={session} onLogout={() => void logout()} />, root);
  await session.start();
}

/** Starts the page in `root`. */
export async function main(root: HTMLElement): Promise<void> {
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) {
    const client = new ImClient({ baseUrl: location.origin, token });
    try {
      const user = await client.me();
      root.replaceChildren(); // "Loading…" goes; Preact draws into an empty root.
      return await begin(root, client, user);
    } catch (error) {
      if (!(error instanceof ImError && error.code === "unauthenticated")) throw error;
      localStorage.removeItem(TOKEN_KEY);
    }
  }
  root.replaceChildren();
  signIn(root);
}

const root = document.getElementById("app");
if (root) {
  main(root).catch((error) => {
    render(null, root);
    root.textContent = `Something went wrong: ${error instanceof Error ? error.message : error}`;
  });
}
