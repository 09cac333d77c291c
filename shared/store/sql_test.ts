import { assertEquals } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import { storeError } from "./sql.ts";

Deno.test("storeError() turns unique violations into conflict and other driver failures into unavailable", () => {
  assertEquals(storeError({ code: "23505" }).code, "conflict");
  assertEquals(storeError(new Error("connection refused")).code, "unavailable");
  const own = new AppError("forbidden", "no");
  assertEquals(storeError(own), own);
});
