/* 治理 Zhili — a firm's risk profile: risk by month and each department indicator, warned months shaded. */
(function () {
  'use strict';

  const element = document.getElementById('firm-data');
  if (!element || typeof echarts === 'undefined') return;
  const data = JSON.parse(element.textContent);
  const warned = new Set(data.warned);
  const shaded = data.months.filter((m) => warned.has(m)).map((m) => [{ xAxis: m }, { xAxis: m }]);
  const charts = [];

  function draw(target, title, values, extra) {
    const chart = echarts.init(target, null, { renderer: 'svg' });
    chart.setOption(Object.assign({
      title: { text: title, textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis' },
      // room on the right for half the last month's label ("2026-11" was cut to "2026-1" at the edge)
      grid: { left: 56, right: 28, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: data.months, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', scale: true },
      series: [{
        type: 'line', data: values, connectNulls: false, showSymbol: false,
        markArea: { silent: true, itemStyle: { color: 'rgba(207, 19, 34, 0.12)' }, data: shaded },
      }],
    }, extra || {}));
    charts.push(chart);
  }

  const risk = document.getElementById('risk-chart');
  if (risk) {
    draw(risk, data.risk_label, data.risk, {
      visualMap: { show: false, dimension: 1, pieces: [
        { lt: 0.5, color: '#389e0d' }, { gte: 0.5, lt: 0.7, color: '#d4b106' }, { gte: 0.7, color: '#cf1322' }] },
    });
  }
  document.querySelectorAll('[data-indicator]').forEach((target) => {
    const name = target.dataset.indicator;
    draw(target, data.labels[name] || name, data.indicators[name] || []);
  });
  window.addEventListener('resize', () => charts.forEach((chart) => chart.resize()));
})();
