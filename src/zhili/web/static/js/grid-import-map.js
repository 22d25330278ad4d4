/* 治理 Zhili — the grids a boundary file imported, on a small map (no tiles): new ones green, redrawn ones blue,
   over their villages' outlines (grey, dashed, not filled). */
(function () {
  'use strict';
  function draw() {
    const el = document.getElementById('grid-import-map');
    if (!el || !window.L) return;
    let data;
    try { data = JSON.parse(el.dataset.map || '{}'); } catch (e) { return; }
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    const layer = L.geoJSON(data, {
      style: (f) => f.properties.village
        ? { color: '#595959', weight: 2, dashArray: '6 4', fill: false }
        : { color: f.properties.new ? '#237804' : '#1d4e89', weight: 1.5, fillOpacity: 0.15 },
      onEachFeature: (f, l) => l.bindTooltip(f.properties.name),
    }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1));
    else map.setView([28.97, 118.87], 9);
    window.zhiliGridImportMap = map;
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
