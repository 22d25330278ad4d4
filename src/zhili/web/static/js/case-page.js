/* 治理 Zhili — the case page: the case point, GPS evidence and the grid on a small map (no tiles);
   "use my location" fills a GPS evidence field from the phone's position. */
(function () {
  'use strict';

  function drawMap() {
    const el = document.getElementById('case-map');
    if (!el || typeof window.L === 'undefined') return;
    let data;
    try { data = JSON.parse(el.dataset.map || '{}'); } catch (e) { return; }
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    const bounds = L.latLngBounds([]);
    if (data.grid) {
      const grid = L.geoJSON(data.grid, { style: { color: '#3e7cb1', weight: 1.5, fillOpacity: 0.06, dashArray: '3 3' } }).addTo(map);
      bounds.extend(grid.getBounds());
    }
    const mark = (p, color, radius) => {
      const ll = L.latLng(p.lat, p.lon);
      L.circleMarker(ll, { radius: radius, color: color, weight: 2, fillColor: color, fillOpacity: 0.7 })
        .bindTooltip(p.label, { permanent: true, direction: 'top', offset: [0, -radius] }).addTo(map);
      bounds.extend(ll);
    };
    if (data.case) mark(data.case, '#b42318', 8);
    (data.fixes || []).forEach((p) => mark(p, '#1d4e89', 6));
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.25), { maxZoom: 17 });
    else map.setView([28.97, 118.87], 12);
    el.dataset.ready = '1';
    el.dataset.points = String((data.case ? 1 : 0) + (data.fixes || []).length);
    window.zhiliCaseMap = map;
  }

  function locate(button) {
    const input = button.parentElement.querySelector('input[name="evidence_gps"]');
    if (!input || !navigator.geolocation) return;
    const label = button.textContent;
    button.disabled = true;
    button.textContent = button.dataset.busy || label;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        input.value = pos.coords.longitude.toFixed(6) + ',' + pos.coords.latitude.toFixed(6);
        button.disabled = false;
        button.textContent = label;
      },
      () => {
        button.disabled = false;
        button.textContent = label;
        input.placeholder = button.dataset.failed || '';
        input.focus();
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button.use-gps');
    if (button) locate(button);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawMap);
  else drawMap();
})();
