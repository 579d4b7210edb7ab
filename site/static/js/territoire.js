// Département page: loads the département's JSON shards, filters them by thématique,
// public and source in the browser, lists the matching structures and maps them.
import { createMap, fit, popupContent } from "./carte.js";

const LIMIT = 500;
const section = document.querySelector("[data-territoire]");
const root = section.dataset.root;
const form = section.querySelector("[data-filters]");
const count = section.querySelector("[data-count]");
const list = section.querySelector("[data-results]");
const map = createMap(section.querySelector("[data-territoire-map]"));
const layer = L.layerGroup().addTo(map);
const labels = {};
for (const select of form.querySelectorAll("select")) {
  labels[select.name] = Object.fromEntries([...select.options].map((o) => [o.value, o.textContent.replace(/ \(\d+\)$/, "")]));
}

function href(path) {
  return /^https?:\/\//.test(path) ? path : root + path;
}

async function loadAll(url) {
  const items = [];
  let next = url;
  while (next) {
    const response = await fetch(next);
    if (!response.ok) throw new Error(`${next}: HTTP ${response.status}`);
    const page = await response.json();
    items.push(...page.items);
    next = page.next ? href(page.next) : null;
  }
  return items;
}

function serviceMatches(service, filters) {
  return (!filters.thematique || service.thematiques.includes(filters.thematique))
    && (!filters.public || service.publics.includes(filters.public));
}

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function render(structures, servicesOf) {
  const filters = Object.fromEntries(new FormData(form));
  const byService = Boolean(filters.thematique || filters.public);
  const matched = [];
  let serviceCount = 0;
  for (const structure of structures) {
    if (filters.source && structure.source !== filters.source) continue;
    const services = (servicesOf.get(structure.id) || []).filter((s) => serviceMatches(s, filters));
    if (byService && services.length === 0) continue;
    matched.push([structure, services]);
    serviceCount += services.length;
  }
  count.textContent = `${matched.length} structure(s) et ${serviceCount} service(s) correspondent`
    + (matched.length > LIMIT ? ` ; les ${LIMIT} premières sont listées, toutes sont sur la carte.` : ".");
  list.replaceChildren();
  for (const [structure, services] of matched.slice(0, LIMIT)) {
    const item = element("li", undefined, { "data-structure": structure.id });
    const title = element("h3", undefined, { class: "fr-h6 fr-mb-1v" });
    title.append(element("a", structure.nom, { href: href(structure.page) }));
    item.append(title, element("p", `${structure.commune || ""} · ${labels.source[structure.source] || structure.source}`, { class: "fr-text--sm fr-mb-1v" }));
    if (services.length) {
      const sub = element("ul");
      for (const service of services) {
        const li = element("li");
        li.append(element("a", service.nom, { href: href(service.page) }));
        sub.append(li);
      }
      item.append(sub);
    }
    list.append(item);
  }
  layer.clearLayers();
  const latlngs = [];
  for (const [structure] of matched) {
    if (structure.latitude == null || structure.longitude == null) continue;
    const point = [structure.latitude, structure.longitude];
    L.circleMarker(point, { radius: 6, weight: 1 }).bindPopup(popupContent(structure.nom, href(structure.page))).addTo(layer);
    latlngs.push(point);
  }
  fit(map, latlngs);
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  history.replaceState(null, "", query.size ? `?${query}` : location.pathname);
}

async function main() {
  const params = new URLSearchParams(location.search);
  for (const select of form.querySelectorAll("select")) {
    if (params.has(select.name)) select.value = params.get(select.name);
  }
  count.textContent = "Chargement…";
  const [structures, services] = await Promise.all([loadAll(section.dataset.structures), loadAll(section.dataset.services)]);
  const servicesOf = new Map();
  for (const service of services) {
    if (!servicesOf.has(service.structure_id)) servicesOf.set(service.structure_id, []);
    servicesOf.get(service.structure_id).push(service);
  }
  form.addEventListener("change", () => render(structures, servicesOf));
  form.addEventListener("submit", (event) => event.preventDefault());
  render(structures, servicesOf);
  section.dataset.ready = "true";
}

main().catch((error) => {
  count.textContent = `Impossible de charger les données du département (${error.message}).`;
});
