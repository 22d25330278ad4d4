/* 治理 Zhili — an alert's page: the divisions it resolved to (blue) and its own shapes (red), no tiles. */
(function () {
  'use strict';
  function draw() {
    const el = document.getElementById('alert-map');
    if (!el || !window.L) return;
    let data;
    try { data = JSON.parse(el.dataset.map || '{}'); } catch (e) { return; }
    // Leaflet's own buttons speak the page's language (its defaults are English).
    if (document.documentElement.lang !== 'en') Object.assign(L.Control.Zoom.prototype.options, { zoomInTitle: '放大', zoomOutTitle: '缩小' });
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    const layers = [];
    const dot = (feature, latlng) => L.circleMarker(latlng, { radius: 6 });
    (data.divisions || []).forEach((d) => {
      layers.push(L.geoJSON(d.geometry, { style: { color: '#1d4e89', weight: 1.5, fillOpacity: 0.15 }, pointToLayer: dot })
        .bindTooltip(d.name));
    });
    (data.areas || []).forEach((a) => {
      layers.push(L.geoJSON(a.geometry, { style: { color: '#cf1322', weight: 2, fillOpacity: 0.08 }, pointToLayer: dot })
        .bindTooltip(a.name));
    });
    const group = L.featureGroup(layers).addTo(map);
    const bounds = group.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1));
    else map.setView([28.97, 118.87], 9);
    window.zhiliAlertMap = map;
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
