// Document generation: Markdown to HTML, the CPU-bound work TD Generator does.
import { randomUUID } from "node:crypto";
import MarkdownIt from "markdown-it";

const markdown = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: true,
});

// Only the newest documents are kept: under load the store would otherwise
// grow for as long as the service runs.
const KEPT_DOCUMENTS = 1000;

/** Renders a document of the given type and keeps it; returns its record. */
export function renderDocument(store, { type, source }) {
  const html = markdown.render(source);
  const document = { id: randomUUID(), type, html, createdAt: Date.now() };
  store.set(document.id, document);
  if (store.size > KEPT_DOCUMENTS) store.delete(store.keys().next().value);
  return document;
}

/** A Markdown source of roughly `sections` sections, to give the renderer real work. */
export function sampleSource(sections) {
  const parts = [];
  for (let i = 0; i < sections; i++) {
    parts.push(
      `## Section ${i}\n\nSome *emphasis*, a [link](https://example.com/${i}) and a list:\n\n` +
        `- item one\n- item two with \`code\`\n- item three\n\n` +
        `| a | b |\n|---|---|\n| ${i} | ${i * 2} |\n`,
    );
  }
  return parts.join("\n");
}
