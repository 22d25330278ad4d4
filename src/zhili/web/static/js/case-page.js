/* 治理 Zhili — the case page: the case point, GPS evidence and the grid on a small map (no tiles);
   "use my location" fills a GPS evidence field from the phone's position; photos too large are said before sending. */
(function () {
  'use strict';

  function drawMap() {
    const el = document.getElementById('case-map');
    if (!el || typeof window.L === 'undefined') return;
    let data;
    try { data = JSON.parse(el.dataset.map || '{}'); } catch (e) { return; }
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
    points.forEach((p) => {
      L.circleMarker([p.lat, p.lon], { radius: p.radius, color: p.color, weight: 2, fillColor: p.color, fillOpacity: 0.7 })
        .bindTooltip(p.label, { permanent: true, direction: 'top', offset: [0, -p.radius] }).addTo(map);
    });
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

  // Photos over their limits (data-max-each, and data-max-total for all of one form's photos together) are said
  // by their input as soon as they are chosen, and the form is not sent: the server would refuse the whole
  // request before the page could answer beside the field, and the phone would upload it all for nothing.
  function checkPhotos(form) {
    const inputs = Array.from(form.querySelectorAll('input[type=file][data-max-each]'));
    let total = 0;
    inputs.forEach((input) => Array.from(input.files || []).forEach((file) => { total += file.size; }));
    let first = null;
    inputs.forEach((input) => {
      const files = Array.from(input.files || []);
      let message = '';
      if (files.some((file) => file.size > Number(input.dataset.maxEach))) message = input.dataset.tooLarge || '';
      else if (files.length && total > Number(input.dataset.maxTotal)) message = input.dataset.tooMuch || '';
      input.setCustomValidity(message);
      let note = input.parentElement.querySelector('[data-photo-note]');
      if (!message) { if (note) note.remove(); return; }
      if (!note) {
        note = document.createElement('span');
        note.className = 'field-error';
        note.setAttribute('role', 'alert');
        note.setAttribute('data-photo-note', '');
        input.insertAdjacentElement('afterend', note);
      }
      note.textContent = message;
      first = first || input;
    });
    return first;
  }

  document.addEventListener('change', (event) => {
    const input = event.target.closest && event.target.closest('input[type=file][data-max-each]');
    if (input && input.form) checkPhotos(input.form);
  });
  document.addEventListener('submit', (event) => {
    const refused = checkPhotos(event.target);
    if (refused) { event.preventDefault(); refused.focus(); }
  }, true);
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button.use-gps');
    if (button) locate(button);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawMap);
  else drawMap();
})();
