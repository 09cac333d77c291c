/**
 * A question asked inside the page before something that cannot be undone (recall a message,
 * leave or disband a group, remove a member, hand over a group, block someone): a modal dialog
 * of the page, never the browser's `confirm()`. Escape and Cancel close it; a refusal of the
 * server shows in it, in plain words, and the dialog stays for another try or Cancel.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { FieldError } from "./components.tsx";
import { errorText } from "./session.ts";

/** The dialog; `onConfirm` runs the action, `onClose` goes back (after success too). */
export function ConfirmDialog({ id, title, children, action, onClose, onConfirm }: {
  /** Prefix of the ids of its title, text and error. */
  id: string;
  title: string;
  children: ComponentChildren;
  /** The name of the button that acts ("Recall", "Leave", "Disband"…). */
  action: string;
  onClose: () => void;
  onConfirm: () => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    dialog.current?.showModal();
    return () => dialog.current?.close();
  }, []);
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-text`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <p id={`${id}-text`}>{children}</p>
      <FieldError id={`${id}-error`}>{error}</FieldError>
      <div class="confirm-actions">
        <button type="button" class="ghost" autofocus onClick={onClose}>Cancel</button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onConfirm();
              onClose();
            } catch (e) {
              setError(errorText(e));
              setBusy(false);
            }
          }}
        >
          {action}
        </button>
      </div>
    </dialog>
  );
}
