/// <reference lib="deno.ns" />
import type { VNode } from "preact";
import { assertEquals } from "../tests/assert.ts";
import { Linkified, linkParts } from "./linkify.tsx";

Deno.test("linkParts() finds web and e-mail addresses and leaves the punctuation after them", () => {
  assertEquals(linkParts("See https://example.com/a?b=1#c, then write to ann@example.org."), [
    { text: "See " },
    { text: "https://example.com/a?b=1#c", href: "https://example.com/a?b=1#c" },
    { text: ", then write to " },
    { text: "ann@example.org", href: "mailto:ann@example.org" },
    { text: "." },
  ]);
  assertEquals(linkParts("(http://example.com/wiki/Foo_(bar))"), [
    { text: "(" },
    { text: "http://example.com/wiki/Foo_(bar)", href: "http://example.com/wiki/Foo_(bar)" },
    { text: ")" },
  ]);
  assertEquals(linkParts("mailto:bob@example.com"), [
    { text: "mailto:bob@example.com", href: "mailto:bob@example.com" },
  ]);
});

Deno.test("linkParts() links only http, https and mailto, never javascript: or data:", () => {
  for (
    const text of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(document.cookie)",
      "javascript://example.com/%0aalert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "ftp://example.com/file",
      "no links at all",
    ]
  ) {
    assertEquals(linkParts(text), [{ text }], text);
  }
  // An address inside a javascript: text is its own link, and the script part stays text.
  assertEquals(linkParts("javascript:fetch('https://evil.example')").filter((p) => p.href), [
    { text: "https://evil.example", href: "https://evil.example" },
  ]);
});

Deno.test("linkParts() keeps every character of the text, in order", () => {
  const text = 'a <b>https://x.example/?q="1"</b> c@d.example <script>e</script>';
  assertEquals(linkParts(text).map((p) => p.text).join(""), text);
});

Deno.test("Linkified() makes links that open a new tab with noopener noreferrer, and text as text", () => {
  const nodes = Linkified({ text: "go <i>https://example.com</i> now" }) as (string | VNode)[];
  assertEquals(nodes[0], "go <i>");
  const link = nodes[1] as VNode<Record<string, unknown>>;
  assertEquals(link.type, "a");
  assertEquals(link.props.href, "https://example.com");
  assertEquals(link.props.target, "_blank");
  assertEquals(link.props.rel, "noopener noreferrer");
  assertEquals(link.props.children, "https://example.com");
  assertEquals(nodes[2], "</i> now");
});
