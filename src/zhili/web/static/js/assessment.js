/* 治理 Zhili — the assessment ranking: the six-month trend of the reader's own subjects beside the level's average,
   and a confirmation before a month is closed. */
(function () {
  'use strict';

  const close = document.getElementById('close-form');
  if (close) {
    close.addEventListener('submit', (event) => {
      if (!window.confirm(close.dataset.confirm)) event.preventDefault();
    });
  }
  const element = document.getElementById('assessment-data');
  const target = document.getElementById('trend-chart');
  if (!element || !target || typeof echarts === 'undefined') return;
  const data = JSON.parse(element.textContent);
  const series = data.series.map((s) => ({ name: s.name, type: 'line', data: s.values, connectNulls: false }));
  series.push({ name: data.mean_label, type: 'line', data: data.mean, lineStyle: { type: 'dashed' }, connectNulls: false });
  const chart = echarts.init(target, null, { renderer: 'svg' });
  chart.setOption({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 12, top: 32, bottom: 28 },
    // every month labelled, the year left out on a phone (2026-07 → 07), so the month being read is never hidden
    xAxis: {
      type: 'category',
      data: data.months,
      axisLabel: { interval: 0, formatter: (month) => (target.clientWidth < 480 ? month.slice(5) : month) },
    },
    // full marks as the top: a tick just under it would print over its label
    yAxis: { type: 'value', scale: true, max: data.full_marks, axisLabel: { hideOverlap: true } },
    series,
  });
  window.addEventListener('resize', () => chart.resize());
})();
