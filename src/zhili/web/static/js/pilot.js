/* 治理 Zhili — a pilot before and after: its monthly handling time, volume and complaint rate beside its controls. */
(function () {
  'use strict';

  const element = document.getElementById('pilot-data');
  if (!element || typeof echarts === 'undefined') return;
  const data = JSON.parse(element.textContent);
  const charts = [];

  function draw(id, key, unit) {
    const target = document.getElementById(id);
    if (!target) return;
    const chart = echarts.init(target, null, { renderer: 'svg' });
    const series = [{
      name: data.labels.pilot, type: 'line', data: data.pilot[key], connectNulls: false,
      markLine: { silent: true, symbol: 'none', label: { formatter: data.labels.start }, data: [{ xAxis: data.start }] },
    }];
    if (data.control) series.push({ name: data.labels.control, type: 'line', data: data.control[key], lineStyle: { type: 'dashed' } });
    chart.setOption({
      title: { text: data.labels[key], textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis' }, legend: { top: 22 },
      grid: { left: 48, right: 12, top: 56, bottom: 28 },
      xAxis: { type: 'category', data: data.months },
      yAxis: { type: 'value', axisLabel: { formatter: `{value}${unit}` } },
      series,
    });
    target.dataset.ready = 'true';
    charts.push(chart);
  }
  draw('pilot-hours', 'hours', '');
  draw('pilot-volume', 'volume', '');
  draw('pilot-complaints', 'complaints', '%');
  window.addEventListener('resize', () => charts.forEach((chart) => chart.resize()));
})();
