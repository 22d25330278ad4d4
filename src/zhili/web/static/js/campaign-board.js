/* 治理 Zhili — the live campaign board: server-sent `board` events update tiles, tables, chart and lists. */
(function () {
  'use strict';

  const configElement = document.getElementById('board-config');
  if (!configElement) return;
  const config = JSON.parse(configElement.textContent);
  const initial = JSON.parse(document.getElementById('board-data').textContent);
  const isScreen = document.body.classList.contains('board-screen');
  const states = config.state_order || Object.keys(config.states);
  let chart = null;

  function pct(value) {
    return (value * 100).toFixed(1) + '%';
  }

  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  function localTime(iso) {
    if (!iso) return '';
    // Quzhou time (UTC+8, no daylight saving), as the server's `local` filter renders it.
    const shifted = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    const stamp = shifted.toISOString();
    if (config.lang !== 'en') return stamp.slice(0, 16).replace('T', ' ');
    return shifted.getUTCDate() + ' ' + MONTHS[shifted.getUTCMonth()] + ' ' + shifted.getUTCFullYear() + ' ' + stamp.slice(11, 16);
  }

  function cell(text, className, label) {
    const td = document.createElement('td');
    td.textContent = String(text);
    if (className) td.className = className;
    if (label) td.dataset.label = label; // a labelled line on a phone's card
    return td;
  }

  // A phone number the reader taps to call (the server's list writes the same link).
  function phoneCell(phone, className, label) {
    const td = cell('', className, label);
    if (!phone) return td;
    const link = document.createElement('a');
    link.href = 'tel:' + phone;
    link.textContent = phone;
    td.append(link);
    return td;
  }

  const columns = config.columns || {};
  const WHEN = { unclaimed: 'claim_due_at', unanswered: 'report_due_at', finished: 'reported_at' };

  function emptyRow(text, span) {
    const tr = document.createElement('tr');
    tr.className = 'empty';
    const td = cell(text);
    td.colSpan = span;
    tr.append(td);
    return tr;
  }

  function fieldValue(totals, path) {
    return path.split('.').reduce((value, key) => (value == null ? value : value[key]), totals);
  }

  function updateTiles(totals) {
    document.querySelectorAll('[data-field]').forEach((element) => {
      const value = fieldValue(totals, element.dataset.field);
      if (value === undefined) return;
      const text = element.dataset.format === 'pct' ? pct(value) : String(value);
      if (element.textContent !== text) {
        element.textContent = text;
        const tile = element.closest('.board-tile');
        if (tile) {
          tile.classList.remove('changed');
          void tile.offsetWidth; // restart the animation
          tile.classList.add('changed');
        }
      }
    });
  }

  function childRow(child, compact) {
    const tr = document.createElement('tr');
    tr.dataset.code = child.code;
    const name = document.createElement('td');
    name.className = 'card-head';
    if (child.can_drill) {
      const link = document.createElement('a');
      link.href = '?division=' + encodeURIComponent(child.code) + (isScreen ? '&screen=1' : '');
      link.textContent = child.name;
      name.append(link);
    } else {
      name.textContent = child.name;
    }
    if (child.is_self) {
      const badge = document.createElement('small');
      badge.className = 'badge';
      badge.textContent = config.labels.self;
      name.append(' ', badge);
    }
    tr.append(name, cell(child.total, 'num card-light'));
    if (compact) {
      ['unclaimed', 'claimed', 'finished'].forEach((key) => tr.append(cell(child[key], 'num', config.labels[key])));
    } else {
      states.forEach((state) => {
        const count = child.states[state] || 0;
        tr.append(cell(count, count ? 'num' : 'num zero', config.states[state]));
      });
    }
    tr.append(
      cell(pct(child.claim_rate), 'num', columns.claim_rate),
      cell(child.overdue, child.overdue ? 'num board-alarm' : 'num', columns.overdue),
    );
    return tr;
  }

  function updateChildren(children) {
    const body = document.getElementById('board-children');
    if (!body) return;
    if (!children.length) return;
    const compact = body.dataset.compact === 'yes';
    body.replaceChildren(...children.map((child) => childRow(child, compact)));
  }

  function updateRoles(roles) {
    const body = document.getElementById('board-roles');
    if (!body) return;
    body.replaceChildren(
      ...roles.map((role) => {
        const tr = document.createElement('tr');
        tr.append(
          cell(config.roles[role.role] || role.role, 'card-head'),
          cell(role.total, 'num', columns.total),
          cell(role.unclaimed, 'num', config.labels.unclaimed),
          cell(role.claimed, 'num', columns.claimed),
          cell(role.unanswered, 'num', config.labels.unanswered),
          cell(role.finished, 'num', config.labels.finished),
        );
        return tr;
      }),
    );
  }

  function drawChart(buckets) {
    const element = document.getElementById('board-chart');
    if (!element || typeof echarts === 'undefined') return;
    if (!chart) chart = echarts.init(element, isScreen ? 'dark' : null, { renderer: 'canvas' });
    const narrow = element.clientWidth < 480;
    chart.setOption({
      backgroundColor: 'transparent',
      grid: { left: 48, right: 16, top: 24, bottom: narrow ? 44 : 32 },
      // Drawn on the canvas: ECharts' HTML tooltip writes style attributes, which the CSP refuses.
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      animationDuration: 400,
      // Six labels side by side overlap on a phone: there the unit goes under the figures ("15–30" over "分钟").
      xAxis: {
        type: 'category', data: config.buckets,
        axisLabel: { interval: 0, fontSize: isScreen ? 16 : 12, formatter: narrow ? (label) => label.replace(' ', '\n') : '{value}' },
      },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: isScreen ? 16 : 12 } },
      series: [{
        type: 'bar',
        data: buckets.map((bucket) => bucket.count),
        itemStyle: { color: isScreen ? '#3ea6ff' : '#1d4e89' },
        label: { show: true, position: 'top', fontSize: isScreen ? 18 : 12 },
      }],
    });
  }

  function personRow(row, which, compact) {
    const tr = document.createElement('tr');
    if (row.is_overdue) tr.className = 'board-late';
    const taskRole = config.roles[row.role] || row.role;
    // A task handed on (改派) to another role says so: 联户党员（组团联村团长接办）.
    const role = row.holder_role
      ? config.labels.role_held_by.replace('{role}', taskRole).replace('{holder}', config.roles[row.holder_role] || row.holder_role)
      : taskRole;
    // People outside the caller's units come without a name or phone (the server withholds them).
    const name = row.is_withheld ? config.labels.withheld : row.name;
    const supervisor = row.supervisor_withheld ? config.labels.withheld : (row.supervisor_name || config.labels.none);
    if (compact) {
      tr.append(cell(name), cell(role), cell(row.division_name), cell(supervisor));
      return tr;
    }
    const key = WHEN[which] || 'reported_at';
    const when = cell(localTime(row[key]), '', columns['col.' + key]);
    if (row.is_overdue) {
      const badge = document.createElement('span');
      badge.className = 'badge danger';
      badge.textContent = config.labels.late;
      when.append(' ', badge);
    }
    tr.append(
      cell(name, 'card-head'), phoneCell(row.phone, 'mono card-light'), cell(role, '', columns['col.role']),
      cell(row.division_name, '', columns['col.division']), cell(supervisor, '', columns['col.supervisor']),
      phoneCell(row.supervisor_phone, 'mono', columns['col.supervisor_phone']), when,
    );
    return tr;
  }

  function refreshLists() {
    document.querySelectorAll('tbody[data-which]').forEach((body) => {
      const which = body.dataset.which;
      const compact = body.dataset.compact === 'yes';
      const limit = body.dataset.limit || '20';  // the big screen shows fewer rows of each list
      fetch(config.people + '&which=' + which + '&limit=' + limit, { credentials: 'same-origin' })
        .then((response) => (response.ok ? response.json() : null))
        .then((page) => {
          if (!page) return;
          const rows = page.items.map((row) => personRow(row, which, compact));
          if (!rows.length) rows.push(emptyRow(config.labels.empty, compact ? 4 : 7));
          body.replaceChildren(...rows);
          const more = body.closest('.board-list') && body.closest('.board-list').querySelector('.board-more');
          if (more) more.hidden = !page.next_cursor;
        })
        .catch(() => {});
    });
  }

  function show(board, isFirst) {
    updateTiles(board.totals);
    updateChildren(board.children);
    updateRoles(board.roles);
    drawChart(board.claim_times);
    const asOf = document.getElementById('board-as-of');
    if (asOf) asOf.textContent = localTime(board.as_of);
    if (!isFirst) refreshLists();
  }

  function setLive(isLive) {
    const badge = document.getElementById('board-live');
    if (!badge) return;
    badge.textContent = isLive ? config.labels.live : config.labels.offline;
    badge.classList.toggle('live', isLive);
  }

  show(initial, true);
  window.addEventListener('resize', () => chart && chart.resize());
  if (!window.EventSource) return;
  const source = new EventSource(config.stream);
  let isFirstEvent = true;
  source.addEventListener('open', () => setLive(true));
  source.addEventListener('error', () => setLive(false));
  source.addEventListener('gone', () => { source.close(); setLive(false); });
  source.addEventListener('board', (message) => {
    setLive(true);
    show(JSON.parse(message.data), isFirstEvent);
    isFirstEvent = false;
  });
})();
