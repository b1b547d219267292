// The report form's list of chosen files (templates/reporter/_scrub.html): each file
// with a note on its hidden details, a Remove button, and for a cleaned photo a
// "keep the original" box. Photos are cleaned on this device (scrub-metadata.js) as soon as they are
// chosen; filesToSeal(input) gives the files to seal, cleaned unless the box is ticked.
// Without JavaScript none of this runs and the list stays hidden.

import { detectKind, scrubFile } from "./scrub-metadata.js";

const DOCUMENT = /\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf)$/i;
const state = new WeakMap(); // input -> [{ original, pending: Promise, keep: checkbox|null }]

function words(key) {
  const template = document.getElementById("scrub-strings");
  const span = template && template.content.querySelector(`[data-key="${key}"]`);
  return span ? span.textContent : "";
}

function row(input, list, file, index) {
  const item = document.createElement("li");
  item.className = "scrub-file";
  const name = document.createElement("span");
  name.className = "scrub-file-name";
  name.id = `scrub-name-${index}`;
  name.textContent = file.name;
  const noteText = document.createElement("span");
  noteText.className = "scrub-file-note";
  noteText.id = `scrub-note-${index}`;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "button-link scrub-remove";
  remove.id = `scrub-remove-${index}`;
  remove.textContent = words("remove");
  remove.setAttribute("aria-describedby", name.id);
  remove.addEventListener("click", () => removeFile(input, index));
  item.append(name, " – ", noteText, " ", remove);
  list.append(item);
  return { item, noteText };
}

function removeFile(input, index) {
  // A file input's list cannot be edited, only replaced (DataTransfer builds the new one).
  const kept = new DataTransfer();
  [...input.files].forEach((file, i) => {
    if (i !== index) kept.items.add(file);
  });
  input.files = kept.files;
  refresh(input);
  const next = document.getElementById(`scrub-remove-${Math.min(index, input.files.length - 1)}`);
  (next || input).focus();
}

function keepBox(item, noteText, index) {
  const wrapper = document.createElement("span");
  wrapper.className = "scrub-keep";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = `scrub-keep-${index}`;
  box.setAttribute("aria-describedby", noteText.id);
  const label = document.createElement("label");
  label.htmlFor = box.id;
  label.textContent = words("keep");
  const removedText = noteText.textContent;
  box.addEventListener("change", () => {
    noteText.textContent = box.checked ? words("kept") : removedText;
  });
  wrapper.append(box, label);
  item.append(wrapper);
  return box;
}

async function describe(file, entry, index, parts) {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  if (detectKind(head) === "other") {
    parts.noteText.textContent = words(DOCUMENT.test(file.name) ? "document" : "other");
    return file;
  }
  try {
    const result = await scrubFile(file);
    if (result.removed.length === 0) {
      parts.noteText.textContent = words("none-found");
      return file;
    }
    parts.noteText.textContent = words("removed");
    entry.keep = keepBox(parts.item, parts.noteText, index);
    return result.file;
  } catch {
    // A photo this code cannot read is sent as it is, and the note says so.
    parts.noteText.textContent = words("unreadable");
    return file;
  }
}

function refresh(input) {
  const panel = document.getElementById("scrub-files");
  const list = document.getElementById("scrub-files-list");
  if (!panel || !list) return;
  list.replaceChildren();
  const files = [...input.files];
  panel.hidden = files.length === 0;
  const entries = files.map((file, index) => {
    const entry = { original: file, keep: null, pending: null };
    entry.pending = describe(file, entry, index, row(input, list, file, index));
    return entry;
  });
  state.set(input, entries);
}

/** The files to seal for this input: cleaned photos unless "keep the original" is ticked. */
export async function filesToSeal(input) {
  const entries = state.get(input);
  if (!entries || entries.length !== input.files.length) {
    // The list was never drawn (the change event came before this module loaded):
    // clean the photos now, as the list would have.
    return Promise.all([...input.files].map((file) => scrubFile(file).then((r) => r.file, () => file)));
  }
  const cleaned = await Promise.all(entries.map((entry) => entry.pending));
  return entries.map((entry, index) => (entry.keep && entry.keep.checked ? entry.original : cleaned[index]));
}

function start() {
  for (const input of document.querySelectorAll('input[type="file"][name="attachments"]')) {
    input.addEventListener("change", () => refresh(input));
    if (input.files.length > 0) refresh(input);
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
