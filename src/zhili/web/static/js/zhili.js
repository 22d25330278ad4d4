/* 治理 Zhili — send the CSRF token with every htmx request. */
(function () {
  'use strict';

  document.addEventListener('htmx:configRequest', function (event) {
    const meta = document.querySelector('meta[name="csrf-token"]');
    const token = meta && meta.getAttribute('content');
    if (token) event.detail.headers['X-CSRF-Token'] = token;
  });
})();
