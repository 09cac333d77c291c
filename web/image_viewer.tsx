/**
 * The in-app image viewer: the whole image, as large as the screen allows, in a modal dialog
 * over the page. It closes with Escape, its Close button, a click beside the image, or Back (it
 * adds a history entry, so a phone's Back button closes it rather than leaving the chat); focus
 * stays inside while it is open and returns to what opened it.
 */
import { render } from "preact";
import { useEffect, useRef } from "preact/hooks";

const HOST_ID = "image-viewer-host";

/** Opens the viewer on `url`; focus goes back to `from` when it closes. */
export function openImage(url: string, alt: string, from: HTMLElement | null): void {
  if (document.getElementById(HOST_ID)) return;
  const host = document.createElement("div");
  host.id = HOST_ID;
  document.body.append(host);
  let open = true;
  const finish = () => {
    if (!open) return;
    open = false;
    removeEventListener("popstate", finish);
    render(null, host);
    host.remove();
    from?.focus();
  };
  // The same address: Back pops this entry and lands where the page was.
  history.pushState({ imageViewer: url }, "", location.href);
  addEventListener("popstate", finish);
  render(<ImageViewer url={url} alt={alt} onClose={() => history.back()} />, host);
}

function ImageViewer({ url, alt, onClose }: { url: string; alt: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
    close.current?.focus();
  }, []);
  return (
    <dialog
      ref={dialog}
      class="image-viewer"
      aria-label="Image viewer"
      // Escape: closed the same way as the button, so the history entry goes too.
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => trapTab(e, e.currentTarget)}
    >
      <div class="viewer-bar">
        <a href={url} target="_blank" rel="noopener noreferrer">Open in a new tab</a>
        <button ref={close} type="button" onClick={onClose}>Close</button>
      </div>
      <div class="viewer-frame" onClick={(e) => e.target === e.currentTarget && onClose()}>
        <img class="viewer-image" src={url} alt={alt} />
      </div>
    </dialog>
  );
}

/** Keeps Tab and Shift+Tab cycling through the dialog's own controls. */
function trapTab(e: KeyboardEvent, root: HTMLElement): void {
  if (e.key !== "Tab") return;
  const items = [...root.querySelectorAll<HTMLElement>("a[href], button")];
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  const at = document.activeElement;
  if (e.shiftKey && (at === first || !root.contains(at))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (at === last || !root.contains(at))) {
    e.preventDefault();
    first.focus();
  }
}
