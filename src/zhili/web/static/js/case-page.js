/* 治理 Zhili — the case page: the case point, GPS evidence and the grid on a small map (no tiles);
   "use my location" fills a GPS evidence field from the phone's position. */
(function () {
  'use strict';

  function drawMap() {
    const el = document.getElementById('case-map');
    if (!el || typeof window.L === 'undefined') return;
    let data;
    try { data = JSON.parse(el.dataset.map || '{}'); } catch (e) { return; }
    // Leaflet's own buttons speak the page's language (its defaults are English).
    if (document.documentElement.lang !== 'en') Object.assign(L.Control.Zoom.prototype.options, { zoomInTitle: '放大', zoomOutTitle: '缩小' });
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    // The view is set before anything is drawn: permanent tooltips need a map with a view.
    const points = (data.case ? [Object.assign({ color: '#b42318', radius: 8 }, data.case)] : [])
      .concat((data.fixes || []).map((p) => Object.assign({ color: '#1d4e89', radius: 6 }, p)));
    const grid = data.grid
      ? L.geoJSON(data.grid, { style: { color: '#3e7cb1', weight: 1.5, fillOpacity: 0.06, dashArray: '3 3' } })
      : null;
    const bounds = L.latLngBounds(points.map((p) => [p.lat, p.lon]));
    if (grid) bounds.extend(grid.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.25), { maxZoom: 17 });
    else map.setView([28.97, 118.87], 12);
    if (grid) grid.addTo(map);
    const shown = [];
    points.forEach((p) => {
      const marker = L.circleMarker([p.lat, p.lon], { radius: p.radius, color: p.color, weight: 2, fillColor: p.color, fillOpacity: 0.7 }).addTo(map);
      shown.push(label(marker, p, shown));
    });
    el.dataset.labels = String(shown.filter(Boolean).length);
    el.dataset.ready = '1';
    el.dataset.points = String((data.case ? 1 : 0) + (data.fixes || []).length);
    window.zhiliCaseMap = map;
  }

  // Points close together (a reply's fix beside the case point) would stack their labels: each label takes
  // the first side where it covers no label already shown; where none is free it shows on a tap instead.
  const SIDES = [['top', (r) => [0, -r]], ['bottom', (r) => [0, r]], ['right', (r) => [r, 0]], ['left', (r) => [-r, 0]]];

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function label(marker, p, shown) {
    marker.bindTooltip(p.label, { permanent: true }).openTooltip();
    const tip = marker.getTooltip();
    for (const [direction, offset] of SIDES) {
      Object.assign(tip.options, { direction, offset: offset(p.radius) });
      tip.update();
      const box = tip.getElement().getBoundingClientRect();
      if (!shown.some((other) => other && overlaps(box, other))) return box;
    }
    marker.unbindTooltip().bindTooltip(p.label, { direction: 'top', offset: [0, -p.radius] });
    return null;
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
