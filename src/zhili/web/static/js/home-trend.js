/* 治理 Zhili — the home page's twelve months: cases reported (bars) and the on-time rate (line). */
(function () {
  'use strict';

  const element = document.getElementById('home-trend-data');
  const target = document.getElementById('home-trend');
  if (!element || !target || typeof echarts === 'undefined') return;
  const data = JSON.parse(element.textContent);
  const chart = echarts.init(target, null, { renderer: 'svg' });
  chart.setOption({
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 40, top: 12, bottom: 24 },
    xAxis: { type: 'category', data: data.months.map((m) => m.slice(2)) },
    yAxis: [{ type: 'value' }, { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } }],
    series: [
      { name: data.labels.volume, type: 'bar', data: data.volume, itemStyle: { color: '#91caff' } },
      { name: data.labels.on_time, type: 'line', yAxisIndex: 1, data: data.on_time },
    ],
  });
  target.dataset.ready = 'true';
  window.addEventListener('resize', () => chart.resize());
})();
