/* 治理 Zhili — every page's behaviour: the CSRF token on htmx requests, selects that submit their form, the GPS button. */
(function () {
  'use strict';

  document.addEventListener('htmx:configRequest', function (event) {
    const meta = document.querySelector('meta[name="csrf-token"]');
    const token = meta && meta.getAttribute('content');
    if (token) event.detail.headers['X-CSRF-Token'] = token;
  });

  // <select data-autosubmit>: choosing an option submits its form (the pages hold no inline handlers).
  document.addEventListener('change', function (event) {
    const select = event.target.closest && event.target.closest('select[data-autosubmit]');
    if (select && select.form) select.form.submit();
  });

  // <button data-fill-gps>: the device's position into the lon and lat inputs of the button's form.
  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('button[data-fill-gps]');
    if (!button || !button.form || !navigator.geolocation) return;
    const form = button.form;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector('[name=lon]').value = position.coords.longitude.toFixed(6);
      form.querySelector('[name=lat]').value = position.coords.latitude.toFixed(6);
    });
  });
})();
