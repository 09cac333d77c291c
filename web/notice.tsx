/** A plain notice about a screen or chat the page could not show, until dismissed. */
import type { Session } from "./session.ts";
import type { State } from "./state.ts";

/** The notice above the side panel, when there is one. */
export function Notice({ state, session }: { state: State; session: Session }) {
  if (!state.notice) return null;
  return (
    <div class="nav-notice" role="status">
      <p>{state.notice}</p>
      <button type="button" onClick={() => session.dispatch({ type: "notice", text: "" })}>
        Dismiss
      </button>
    </div>
  );
}
