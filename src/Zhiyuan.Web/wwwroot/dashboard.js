// Draws the campaign dashboard's charts with Apache ECharts from the figures the page embeds.
(function () {
  // A big screen (?screen=1) reloads every five minutes for fresh figures.
  if (/[?&]screen=1(&|$)/.test(window.location.search)) {
    window.setTimeout(function () { window.location.reload(); }, 300000);
  }
  var source = document.getElementById('dashboard-data');
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var charts = [];
  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element) return;
    var c = echarts.init(element);
    c.setOption(Object.assign({ tooltip: { trigger: 'axis' }, grid: { left: 56, right: 56, top: 40, bottom: 40, containLabel: true } }, option));
    charts.push(c);
  }
  var hours = function (f) { return Math.round(f.hours * 100) / 100; };
  // Empty slices only crowd the labels.
  var slices = function (figures) {
    return figures.filter(function (f) { return f.hours > 0; }).map(function (f) { return { name: f.label, value: hours(f) }; });
  };
  chart('chart-weeks', {
    legend: { data: [data.labels.hours, data.labels.personTimes] },
    xAxis: { type: 'category', data: data.weeks.map(function (w) { return w.label; }) },
    yAxis: [{ type: 'value', name: data.labels.hours }, { type: 'value', name: data.labels.personTimes }],
    series: [
      { name: data.labels.hours, type: 'bar', data: data.weeks.map(hours) },
      { name: data.labels.personTimes, type: 'line', yAxisIndex: 1, data: data.weeks.map(function (w) { return w.personTimes; }) }
    ]
  });
  chart('chart-lines', {
    tooltip: { trigger: 'item' },
    series: [{ type: 'pie', radius: ['35%', '65%'], data: slices(data.lines) }]
  });
  chart('chart-units', {
    xAxis: { type: 'value' },
    yAxis: { type: 'category', inverse: true, axisLabel: { interval: 0 }, data: data.units.map(function (f) { return f.label; }) },
    series: [{ name: data.labels.hours, type: 'bar', data: data.units.map(hours) }]
  });
  chart('chart-types', {
    tooltip: { trigger: 'item' },
    series: [{ type: 'pie', radius: '65%', data: slices(data.types) }]
  });
  chart('chart-rate', {
    xAxis: { type: 'category', data: data.weeks.map(function (w) { return w.label; }) },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: [{ name: data.labels.rate, type: 'line', areaStyle: {}, data: data.weeks.map(function (w) { return w.rate; }) }]
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
