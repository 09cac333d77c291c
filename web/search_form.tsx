/** The search box of the Friends and Groups tabs; its error shows under it. */
import { useState } from "preact/hooks";
import { FieldError } from "./components.tsx";
import { errorText } from "./session.ts";

/** A labelled search field with its button; `text` is kept by the caller across re-draws. */
export function SearchForm({ id, label, placeholder, text, onText, onSearch, failed = "" }: {
  id: string;
  label: string;
  placeholder: string;
  text: string;
  onText: (text: string) => void;
  onSearch: (query: string) => Promise<void>;
  /** An error of an action on the results (e.g. joining), shown in the same place. */
  failed?: string;
}) {
  const [error, setError] = useState("");
  return (
    <form
      class="search"
      role="search"
      onSubmit={async (e) => {
        e.preventDefault();
        setError("");
        try {
          await onSearch(text);
        } catch (error) {
          setError(errorText(error));
        }
      }}
    >
      <label for={id}>{label}</label>
      <div class="row">
        <input
          id={id}
          type="search"
          placeholder={placeholder}
          value={text}
          onInput={(e) => onText(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </div>
      <FieldError>{error || failed}</FieldError>
    </form>
  );
}
