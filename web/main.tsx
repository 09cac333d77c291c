/**
 * The web client's entry point, bundled by `deno task build:web` into
 * web/dist/app.js: signed in from a stored token, or the sign-in screen (at
 * `/`; the screen or chat the URL named opens after signing in). A session ends
 * by logging out (the page reloads at `/`) or by the server closing the socket
 * with 4401 (signed out elsewhere, token expired): then the sign-in screen
 * replaces everything of it, with a notice.
 */
import { render } from "preact";
import { ImClient, ImError } from "../client/mod.ts";
import type { User } from "../shared/types.ts";
import { currentRoute, Navigation } from "./navigation.ts";
import { Notifier } from "./notify.ts";
import { HOME, type Route } from "./router.ts";
import { Session, TOKEN_KEY } from "./session.ts";
import { Shell } from "./shell.tsx";
import { SignIn } from "./sign_in.tsx";

const SIGNED_OUT = "You were signed out. Sign in again.";

/** The sign-in screen, at `/`; `wanted` is shown once signed in. */
function signIn(root: HTMLElement, wanted: Route, notice?: string): void {
  history.replaceState(null, "", "/");
  render(
    <SignIn
      notice={notice}
      onSignedIn={(client, user) => void begin(root, client, user, wanted)}
    />,
    root,
  );
}

async function begin(root: HTMLElement, client: ImClient, user: User, wanted: Route) {
  let signedOut = false;
  const signOut = (notice = SIGNED_OUT) => {
    if (signedOut) return;
    signedOut = true;
    localStorage.removeItem(TOKEN_KEY);
    navigation.close();
    notifier.close();
    void session.close();
    signIn(root, HOME, notice);
  };
  const session = new Session(client, user, signOut);
  const navigation = new Navigation(session, wanted);
  const notifier = new Notifier(session);
  (globalThis as { im?: Session }).im = session;
  const logout = async () => {
    if (!session.outbox.mayLogOut()) return;
    // The page loads again at `/`: the socket closed by the server meanwhile (4401) draws no
    // sign-in screen before that, which a quick next step would see and the reload would undo.
    signedOut = true;
    navigation.close();
    notifier.close();
    await session.logout();
    location.replace("/");
  };
  render(<Shell session={session} onLogout={() => void logout()} />, root);
  try {
    await session.start(() => navigation.restore());
  } catch (error) {
    // The token may go between reading it and loading the lists.
    if (error instanceof ImError && error.code === "unauthenticated") return signOut();
    if (!signedOut) throw error;
  }
}

/** Starts the page in `root`. */
export async function main(root: HTMLElement): Promise<void> {
  const token = localStorage.getItem(TOKEN_KEY);
  const wanted = currentRoute();
  if (token) {
    const client = new ImClient({ baseUrl: location.origin, token });
    try {
      const user = await client.me();
      root.replaceChildren(); // "Loading…" goes; Preact draws into an empty root.
      return await begin(root, client, user, wanted);
    } catch (error) {
      if (!(error instanceof ImError && error.code === "unauthenticated")) throw error;
      localStorage.removeItem(TOKEN_KEY);
    }
  }
  root.replaceChildren();
  signIn(root, wanted);
}

const root = document.getElementById("app");
if (root) {
  main(root).catch((error) => {
    render(null, root);
    root.textContent = `Something went wrong: ${error instanceof Error ? error.message : error}`;
  });
}
