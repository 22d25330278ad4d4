/* 治理 Zhili — the unread badge in the top bar, and the live inbox (server-sent events). */
(function () {
  'use strict';

  const UNREAD_POLL_MS = 30000;  // the menu's count on pages without the live inbox

  const SEVERITY_CLASS = { red: 'danger', yellow: 'warn' };
  const REREAD_DELAY_MS = 400;  // the items are read again this long after the last change the stream told

  function setUnread(count) {
    const badge = document.getElementById('nav-inbox-badge');
    if (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    }
    const onPage = document.getElementById('inbox-unread');
    if (onPage) onPage.textContent = String(count);
  }

  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  function localTime(iso) {
    // Quzhou time (UTC+8, no daylight saving), as the server's `local` filter renders it.
    const shifted = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    const stamp = shifted.toISOString();
    if (document.documentElement.lang !== 'en') return stamp.slice(0, 16).replace('T', ' ');
    return shifted.getUTCDate() + ' ' + MONTHS[shifted.getUTCMonth()] + ' ' + shifted.getUTCFullYear() + ' ' + stamp.slice(11, 16);
  }

  function topicLabel(list, topic) {
    let labels = {};
    try {
      labels = JSON.parse(list.dataset.topics || '{}');
    } catch (error) {
      labels = {};
    }
    return labels[topic] || topic;
  }

  function said(element, pieces, text) {
    // A notice in the reader's language, its Chinese pieces (names, what was typed) marked as such.
    if (!pieces) {
      element.textContent = text;
      return;
    }
    pieces.forEach(function (piece) {
      if (piece.is_chinese) {
        const span = document.createElement('span');
        span.lang = 'zh-CN';
        span.textContent = piece.text;
        element.append(span);
      } else {
        element.append(piece.text);
      }
    });
  }

  function itemElement(list, item) {
    const li = document.createElement('li');
    li.className = 'inbox-item unread fresh';
    li.dataset.id = String(item.id);
    const head = document.createElement('div');
    const badge = document.createElement('span');
    badge.className = 'badge ' + (SEVERITY_CLASS[item.severity] || 'ok');
    const key = 'severity' + item.severity.charAt(0).toUpperCase() + item.severity.slice(1);
    badge.textContent = list.dataset[key] || item.severity;
    const saidIn = item.lang === 'en' ? 'en' : 'zh-CN'; // a notice without message keys is in Chinese
    const title = document.createElement('strong');
    title.lang = saidIn;
    said(title, item.title_pieces, item.title);
    head.append(badge, ' ', title);
    li.append(head);
    if (item.body) {
      const body = document.createElement('p');
      body.lang = saidIn;
      said(body, item.body_pieces, item.body);
      li.append(body);
    }
    const meta = document.createElement('small');
    meta.textContent = localTime(item.created_at) + ' · ' + topicLabel(list, item.topic);
    li.append(meta);
    const form = document.createElement('form');
    form.method = 'post';
    form.action = '/inbox/' + item.id + '/open';
    form.className = 'inline';
    const csrf = document.createElement('input');
    csrf.type = 'hidden';
    csrf.name = 'csrf_token';
    const token = document.querySelector('meta[name="csrf-token"]');
    csrf.value = token ? token.getAttribute('content') : '';
    const button = document.createElement('button');
    button.type = 'submit';
    button.textContent = item.link ? list.dataset.open : list.dataset.read;
    form.append(csrf, button);
    li.append(form);
    return li;
  }

  function settledBadge(list, item) {
    // 已由<name>处理 / 撤回 / 取消 (您已处理 for the reader's own act), as the page renders it.
    const why = item.settled_as || 'taken';
    const key = 'settled' + why.charAt(0).toUpperCase() + why.slice(1);
    const badge = document.createElement('span');
    badge.className = 'badge ok settled';
    const mine = list.dataset.me !== '' && String(item.settled_by) === list.dataset.me;  // 您已处理: one's own act
    badge.textContent = mine
      ? list.dataset.settledYou
      : (list.dataset[key] || '').replace('{name}', item.settled_by_name || list.dataset.someone || '');
    return badge;
  }

  function markRead(list) {
    // Read elsewhere, or settled by a colleague's act (a close may settle one notice and send another in the
    // same commit, leaving the count as it was): the items on the page say so.
    const shown = list.querySelectorAll('.inbox-item.unread');
    if (!shown.length) return;
    fetch('/api/v1/inbox?limit=' + Math.min(200, list.querySelectorAll('.inbox-item').length + 10), { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (page) {
        if (!page) return;
        const byId = {};
        page.items.forEach(function (item) { byId[item.id] = item; });
        shown.forEach(function (li) {
          const item = byId[li.dataset.id];
          if (!item || !item.read_at) return;
          li.classList.remove('unread', 'fresh');
          if (item.settled_by !== null && !li.querySelector('.settled')) {
            const meta = li.querySelector('small');
            if (meta) meta.after(' ', settledBadge(list, item));
          }
        });
      })
      .catch(function () { /* the next change tries again */ });
  }

  function goLive(list) {
    const status = document.getElementById('inbox-live-status');
    const source = new EventSource('/api/v1/inbox/stream?after=' + encodeURIComponent(list.dataset.after || '0'));
    let pending = null;
    const reread = function () {  // once for a burst of events
      if (pending !== null) window.clearTimeout(pending);
      pending = window.setTimeout(function () { pending = null; markRead(list); }, REREAD_DELAY_MS);
    };
    source.addEventListener('open', function () {
      if (status) status.textContent = status.dataset.live;
      if (status) status.className = 'badge ok';
      reread();  // (re)connected: whatever was settled meanwhile
    });
    source.addEventListener('error', function () {
      if (status) status.textContent = status.dataset.offline;
      if (status) status.className = 'badge';
    });
    source.addEventListener('notification', function (event) {
      const item = JSON.parse(event.data);
      if (list.querySelector('[data-id="' + item.id + '"]')) return;
      const empty = list.querySelector('.inbox-empty');
      if (empty) empty.remove();
      list.prepend(itemElement(list, item));
      reread();
    });
    source.addEventListener('unread', function (event) {
      setUnread(JSON.parse(event.data).unread);
      reread();
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    const list = document.getElementById('inbox-live');
    if (list && list.dataset.enabled === 'yes' && 'EventSource' in window) {
      goLive(list);
    } else if (document.getElementById('nav-inbox-badge')) {
      // Any other page keeps the menu's count current: now, every 30 s while the page is in sight, and on
      // coming back to it (a phone left on the task list learns of a new instruction without a reload).
      let timer = null;
      const refresh = function () {
        if (document.visibilityState === 'hidden' || timer === false) return;
        fetch('/api/v1/inbox/unread-count', { credentials: 'same-origin' })
          .then(function (response) {
            if (response.status === 401 || response.status === 403) {  // logged out: stop asking
              window.clearInterval(timer);
              timer = false;
            }
            return response.ok ? response.json() : null;
          })
          .then(function (body) { if (body) setUnread(body.unread); })
          .catch(function () { /* the badge is a convenience */ });
      };
      refresh();
      timer = window.setInterval(refresh, UNREAD_POLL_MS);
      document.addEventListener('visibilitychange', refresh);
    }
  });
})();
