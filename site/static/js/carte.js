// Leaflet helpers shared by the maps. Producer text only ever reaches the page as text nodes.
import config from "./config.js";

export function createMap(element) {
  const map = L.map(element, { preferCanvas: true, scrollWheelZoom: false });
  if (config.tiles) {
    const attribution = document.createElement("span");
    attribution.textContent = config.attribution || "";
    L.tileLayer(config.tiles, { attribution: attribution.innerHTML, maxZoom: 19 }).addTo(map);
  }
  return map;
}

export function popupContent(label, href) {
  const box = document.createElement("div");
  if (href) {
    const link = document.createElement("a");
    link.href = href;
    link.textContent = label;
    box.append(link);
  } else {
    box.textContent = label;
  }
  return box;
}

export function fit(map, latlngs) {
  if (latlngs.length === 0) {
    map.setView([46.6, 2.4], 5);
  } else if (latlngs.length === 1) {
    map.setView(latlngs[0], 14);
  } else {
    map.fitBounds(L.latLngBounds(latlngs), { padding: [20, 20], maxZoom: 15 });
  }
}
