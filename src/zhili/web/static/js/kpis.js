/* 治理 Zhili — the KPI page's monthly trend: cases reported (bars) and the on-time and satisfaction rates (lines). */
(function () {
  'use strict';

  const element = document.getElementById('kpi-data');
  const target = document.getElementById('kpi-trend');
  if (!element || !target || typeof echarts === 'undefined') return;
  const data = JSON.parse(element.textContent);
  const chart = echarts.init(target, null, { renderer: 'svg' });
  chart.setOption({
    baseOption: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: data.months },
      yAxis: [{ type: 'value', name: data.labels.volume }, { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } }],
      series: [
        { name: data.labels.volume, type: 'bar', data: data.volume, itemStyle: { color: '#91caff' } },
        { name: data.labels.on_time, type: 'line', yAxisIndex: 1, data: data.on_time, connectNulls: false },
        { name: data.labels.satisfaction, type: 'line', yAxisIndex: 1, data: data.satisfaction, connectNulls: false },
      ],
    },
    media: [{
      // On a narrow chart the centred legend reaches over the left axis's name (受理量): move it below
      // the month labels, on one line that scrolls rather than wraps onto them.
      query: { maxWidth: 600 },
      option: { legend: { top: 'auto', bottom: 0, type: 'scroll' }, grid: { top: 32, bottom: 52 } },
    }],
  });
  target.dataset.ready = 'true';
  window.addEventListener('resize', () => chart.resize());
})();
