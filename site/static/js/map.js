// Maps of fixed points (structure and commune pages): data-points = [[lat, lon, label, href?], …].
import { createMap, fit, popupContent } from "./carte.js";

for (const element of document.querySelectorAll("[data-map]")) {
  const points = JSON.parse(element.dataset.points || "[]");
  const map = createMap(element);
  const latlngs = [];
  for (const [lat, lon, label, href] of points) {
    const marker = L.marker([lat, lon], { title: label, alt: label, keyboard: true });
    marker.bindPopup(popupContent(label, href)).addTo(map);
    latlngs.push([lat, lon]);
  }
  fit(map, latlngs);
}
