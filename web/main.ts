/** The web client's entry point, bundled by `deno task build:web` into web/dist/app.js. */
import { main } from "./app.ts";

const root = document.getElementById("app");
if (root) {
  main(root).catch((error) => {
    root.textContent = `Something went wrong: ${error instanceof Error ? error.message : error}`;
  });
}
