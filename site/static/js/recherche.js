// Search page: queries the Pagefind index in the browser. The index is split in
// shards (one bundle per group of départements, listed in data-bundles): the
// first bundle's pagefind.js searches them all once the others are merged.
// Shards kept from an earlier build have newer versions of some documents in
// the "recent" bundle: data-stale names the list of the old versions' result
// ids, which are dropped.
// Results are built as DOM nodes; only Pagefind's <mark> highlights become
// elements, the rest is text.

const LIMIT = 20;
const section = document.querySelector("[data-recherche]");
const form = section.querySelector("form");
const status = section.querySelector("[data-count]");
const list = section.querySelector("[data-results]");
const root = section.dataset.root;
const bundles = (section.dataset.bundles || "").split(" ").filter(Boolean)
  .map((bundle) => new URL(root + bundle, document.baseURI).href);
const staleList = section.dataset.stale ? new URL(root + section.dataset.stale, document.baseURI).href : null;
let pagefind;
let generation = 0;

function pageUrl(url) {
  return new URL(url, document.baseURI).href;
}

// {"results": [ids to drop], "pages": {id: [pages]}}: an id in "pages" is shared by a current document of
// another bundle, so its result is dropped only when it is one of those pages.
async function staleResults() {
  if (!staleList) return { results: new Set(), pages: new Map() };
  const response = await fetch(staleList);
  if (!response.ok) throw new Error(`${staleList} : ${response.status}`);
  const stale = await response.json();
  return { results: new Set(stale.results), pages: new Map(Object.entries(stale.pages)) };
}

async function withoutStale(results, stale) {
  const kept = [];
  for (const result of results) {
    if (stale.results.has(result.id)) continue;
    const pages = stale.pages.get(result.id);
    if (pages) {
      const url = (await result.data()).url;
      if (pages.some((page) => url.endsWith("/" + page))) continue;
    }
    kept.push(result);
  }
  return kept;
}

async function load() {
  const module = await import(bundles[0] + "pagefind.js");
  const [stale] = await Promise.all([staleResults(), ...bundles.slice(1).map((bundle) => module.mergeIndex(bundle))]);
  return { module, stale };
}

function appendExcerpt(target, excerpt) {
  let marked = false;
  for (const part of (excerpt || "").split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>" || part === "</mark>") {
      marked = part === "<mark>";
      continue;
    }
    const text = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
    if (marked) {
      const mark = document.createElement("mark");
      mark.textContent = text;
      target.append(mark);
    } else {
      target.append(text);
    }
  }
}

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function renderResult(data) {
  const item = element("li");
  const title = element("h2", undefined, { class: "fr-h5 fr-mb-1v" });
  title.append(element("a", data.meta.title || data.url, { href: pageUrl(data.url) }));
  item.append(title);
  const details = [data.meta.commune, data.meta.source].filter(Boolean).join(" · ");
  if (details) item.append(element("p", details, { class: "fr-text--sm fr-mb-1v" }));
  const excerpt = element("p", undefined, { class: "fr-mb-1v" });
  appendExcerpt(excerpt, data.excerpt);
  item.append(excerpt);
  const services = (data.sub_results || []).filter((sub) => sub.url.includes("#"));
  if (services.length) {
    const sub = element("ul");
    for (const service of services.slice(0, 5)) {
      const li = element("li");
      li.append(element("a", service.title, { href: pageUrl(service.url) }));
      sub.append(li);
    }
    item.append(sub);
  }
  return item;
}

async function run() {
  const current = ++generation;
  const values = Object.fromEntries(new FormData(form));
  const query = (values.q || "").trim();
  const filters = {};
  for (const name of ["departement", "thematique", "source"]) {
    if (values[name]) filters[name] = values[name];
  }
  const params = new URLSearchParams(Object.entries(values).filter(([, v]) => v));
  history.replaceState(null, "", params.size ? `?${params}` : location.pathname);
  if (!query && Object.keys(filters).length === 0) {
    list.replaceChildren();
    status.textContent = "Saisissez un nom, une commune, un thème…";
    return;
  }
  if (!bundles.length) {
    list.replaceChildren();
    status.textContent = "0 résultat(s).";
    section.dataset.ready = "true";
    return;
  }
  pagefind = pagefind || load().catch((error) => {
    pagefind = undefined;
    throw error;
  });
  const { module, stale } = await pagefind;
  const search = await module.search(query || null, { filters });
  if (current !== generation || !search) return;
  const found = await withoutStale(search.results, stale);
  if (current !== generation) return;
  const results = await Promise.all(found.slice(0, LIMIT).map((r) => r.data()));
  if (current !== generation) return;
  status.textContent = `${found.length} résultat(s)` + (found.length > LIMIT ? ` ; les ${LIMIT} premiers sont affichés.` : ".");
  list.replaceChildren(...results.map(renderResult));
  section.dataset.ready = "true";
}

const params = new URLSearchParams(location.search);
for (const field of form.elements) {
  if (field.name && params.has(field.name)) field.value = params.get(field.name);
}
function start() {
  run().catch((error) => {
    status.textContent = `La recherche n’a pas pu se charger (${error.message}).`;
  });
}

let timer;
form.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(start, 250);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  start();
});
start();
