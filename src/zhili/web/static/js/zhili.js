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
  // Without a position (refused, off, no signal) the button's data-gps-failed text is shown beside it.
  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('button[data-fill-gps]');
    if (!button || !button.form) return;
    const form = button.form;
    function told(text) {
      let note = button.parentNode.querySelector('[data-gps-note]');
      if (!text) { if (note) note.remove(); return; }
      if (!note) {
        note = document.createElement('span');
        note.className = 'field-error';
        note.setAttribute('role', 'alert');
        note.setAttribute('data-gps-note', '');
        button.insertAdjacentElement('afterend', note);
      }
      note.textContent = text;
    }
    const failed = function () { told(button.dataset.gpsFailed || ''); };
    if (!navigator.geolocation) { failed(); return; }
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector('[name=lon]').value = position.coords.longitude.toFixed(6);
      form.querySelector('[name=lat]').value = position.coords.latitude.toFixed(6);
      told('');
    }, failed, { enableHighAccuracy: true, timeout: 15000 });
  });

  // <input type=file data-max-each data-max-total> (web/_photos.html): photos over their limits (each, and all of
  // one form's photos together) are said by their input as soon as they are chosen, and the form is not sent: the server would refuse the whole
  // request before the page could answer beside the field, and the phone would upload it all for nothing.
  function checkPhotos(form) {
    const inputs = Array.from(form.querySelectorAll('input[type=file][data-max-each]'));
    let total = 0;
    inputs.forEach((input) => Array.from(input.files || []).forEach((file) => { total += file.size; }));
    let first = null;
    inputs.forEach((input) => {
      const files = Array.from(input.files || []);
      let message = '';
      if (input.dataset.shrinking) message = input.dataset.shrinkingNote || '…';
      else if (files.some((file) => file.size > Number(input.dataset.maxEach))) message = input.dataset.tooLarge || '';
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

  // The desk menu (web/base.html): the items that would run under 中文/English and the user's links (a desk
  // narrower than 1280 px, longer English labels) move to the top of 更多, and come back when the window widens.
  function fitDeskMenu() {
    const nav = document.querySelector('nav.desk-menu');
    const more = nav && nav.querySelector('details.desk-more');
    if (!more || !nav.offsetParent) return;  // no menu, or a phone's (hidden: the tab bar serves)
    const menu = more.querySelector('.desk-more-menu');
    const summary = more.querySelector('summary');
    menu.querySelectorAll('a[data-moved]').forEach((link) => { link.removeAttribute('data-moved'); nav.insertBefore(link, more); });
    more.hidden = false;
    const overflows = () => Math.max(...Array.from(nav.querySelectorAll(':scope > a, :scope > details > summary'))
      .map((item) => item.getBoundingClientRect().right)) > nav.getBoundingClientRect().right + 0.5;
    let bar = nav.querySelectorAll(':scope > a');
    // 更多 turns bold when it holds the current page: set before measuring, as it widens it.
    while (bar.length > 1 && (summary.classList.toggle('active', Boolean(menu.querySelector('a.active'))), overflows())) {
      const last = bar[bar.length - 1];
      last.setAttribute('data-moved', '');
      menu.insertBefore(last, menu.firstChild);
      bar = nav.querySelectorAll(':scope > a');
    }
    more.hidden = !menu.querySelector('a');
  }
  // Refit whenever the menu's room changes: the window, or the inbox badge filled in beside it.
  const deskMenu = document.querySelector('nav.desk-menu');
  let fitting = 0;
  if (deskMenu && window.ResizeObserver) {
    new ResizeObserver(() => { cancelAnimationFrame(fitting); fitting = requestAnimationFrame(fitDeskMenu); }).observe(deskMenu);
  }
  fitDeskMenu();

  // A phone's camera photo is often over the limit (12 MB and more): one over it is made smaller here first, as
  // a JPEG of at most SHRINK_SIDE pixels a side, so the photo taken is sent rather than refused. The form
  // waits for it (a submit while shrinking is held back by the same check).
  const SHRINK_SIDE = 2560;
  const SHRINK_QUALITY = 0.85;
  const SHRINKABLE = /^image\/(jpeg|png|webp)$/;

  async function shrunk(file, limit) {
    if (file.size <= limit || !SHRINKABLE.test(file.type) || !window.createImageBitmap) return file;
    let bitmap = null;
    try {
      bitmap = await createImageBitmap(file);  // upright as the camera held it (EXIF orientation)
      const scale = Math.min(1, SHRINK_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      const context = canvas.getContext('2d');
      context.fillStyle = '#fff';  // a transparent PNG becomes a JPEG on white, not on black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((done) => canvas.toBlob(done, 'image/jpeg', SHRINK_QUALITY));
      if (!blob || blob.size >= file.size) return file;
      return new File([blob], file.name.replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' });
    } catch (error) {
      return file;  // not an image the browser can read: the limit is said as before
    } finally {
      if (bitmap) bitmap.close();  // a 12-megapixel bitmap is about 48 MB: let it go before the next
    }
  }

  // Photos are made smaller one at a time; choosing again while that runs wins (the older result is dropped).
  async function shrinkPhotos(input) {
    const files = Array.from(input.files || []);
    const limit = Number(input.dataset.maxEach);
    if (!files.some((file) => file.size > limit)) return;
    const turn = String(Number(input.dataset.shrinkTurn || 0) + 1);
    input.dataset.shrinkTurn = turn;
    input.dataset.shrinking = 'yes';
    input.setCustomValidity(input.dataset.shrinkingNote || '…');
    try {
      const ready = [];
      for (const file of files) ready.push(await shrunk(file, limit));
      if (input.dataset.shrinkTurn !== turn) return;
      const chosen = new DataTransfer();  // throws where the browser cannot build a file list: the limit is said
      ready.forEach((file) => chosen.items.add(file));
      input.files = chosen.files;
    } catch (error) {
      /* the photos stay as chosen; one over the limit is said by its input */
    } finally {
      if (input.dataset.shrinkTurn === turn) {
        delete input.dataset.shrinking;
        input.setCustomValidity('');
      }
    }
  }

  document.addEventListener('change', async (event) => {
    const input = event.target.closest && event.target.closest('input[type=file][data-max-each]');
    if (!input || !input.form) return;
    await shrinkPhotos(input);
    checkPhotos(input.form);
  });
  // <button data-copy="#field">: an input's or a textarea's text to the clipboard (a citizen keeps their tracking link), said beside
  // it. Outside a secure context the clipboard API is missing: the text is selected and copied the old way.
  document.addEventListener('click', async (event) => {
    const button = event.target.closest && event.target.closest('button[data-copy]');
    if (!button) return;
    const input = document.querySelector(button.dataset.copy);
    const said = button.parentElement.querySelector('[data-copy-said]');
    if (!input) return;
    let copied = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(input.value);
        copied = true;
      }
    } catch (error) { copied = false; }
    if (!copied) {
      input.focus();
      input.select();
      input.setSelectionRange(0, input.value.length);
      try { copied = document.execCommand('copy'); } catch (error) { copied = false; }
    }
    if (said) said.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
  });
  document.addEventListener('submit', (event) => {
    const refused = checkPhotos(event.target);
    if (refused) { event.preventDefault(); refused.focus(); }
  }, true);
})();
