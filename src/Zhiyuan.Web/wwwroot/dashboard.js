// Draws the campaign dashboard's charts with Apache ECharts from the figures the page embeds.
// Every option is worked out from the chart's own width, so a 375 px phone gets fewer axis ticks,
// rotated or shortened labels (the tooltip keeps the whole name) and legends instead of pie labels
// that would be cut at the edge; resizing the window (or turning the phone) draws them again.
(function () {
  // A big screen (?screen=1) reloads every five minutes for fresh figures.
  if (/[?&]screen=1(&|$)/.test(window.location.search)) {
    window.setTimeout(function () { window.location.reload(); }, 300000);
  }
  var source = document.getElementById('dashboard-data');
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var charts = [];

  // A label longer than max characters is cut with an ellipsis; the tooltip shows it whole.
  function shorten(text, max) {
    text = String(text);
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }

  // phoneHeight: a taller box on a phone, for a chart whose legend wraps under it.
  function chart(id, build, phoneHeight) {
    var element = document.getElementById(id);
    if (!element) return;
    var c = echarts.init(element);
    var draw = function () {
      var width = element.clientWidth || window.innerWidth;
      var narrow = width < 520;
      if (phoneHeight) element.style.height = narrow ? phoneHeight + 'px' : '';
      c.setOption(Object.assign({
        tooltip: { trigger: 'axis', confine: true },
        grid: { left: narrow ? 8 : 56, right: narrow ? 12 : 56, top: 40, bottom: narrow ? 8 : 40, containLabel: true }
      }, build(narrow, width)), true);
      c.resize();
    };
    draw();
    charts.push(draw);
  }

  var hours = function (f) { return Math.round(f.hours * 100) / 100; };
  // Empty slices only crowd the legend.
  var slices = function (figures) {
    return figures.filter(function (f) { return f.hours > 0; }).map(function (f) { return { name: f.label, value: hours(f) }; });
  };

  // A pie that never cuts its labels: on a phone the names go to a scrolling legend under it and the
  // slices carry only their share; on a wide screen the labels sit outside, shortened if long.
  function pie(figures, radius, narrowRadius) {
    return function (narrow) {
      var data = slices(figures);
      return {
        tooltip: { trigger: 'item', confine: true, formatter: '{b}<br/>{c} ({d}%)' },
        // Every name shown: the legend wraps onto as many rows as it needs under the pie (the box is taller on a phone).
        legend: { type: 'plain', bottom: 0, left: 'center', width: '94%', itemGap: 8, formatter: function (name) { return shorten(name, narrow ? 8 : 14); } },
        series: [{
          type: 'pie', radius: narrow ? narrowRadius : radius, center: ['50%', narrow ? '40%' : '42%'],
          avoidLabelOverlap: true,
          // Shares under 5 % are too thin to hold a figure: the tooltip and legend carry them.
          label: narrow ? { show: true, position: 'inside', formatter: function (p) { return p.percent >= 5 ? Math.round(p.percent) + '%' : ''; }, fontSize: 11, color: '#fff' }
            : { show: true, formatter: function (p) { return shorten(p.name, 10) + '\n' + p.percent + '%'; } },
          labelLine: { show: !narrow },
          data: data
        }]
      };
    };
  }

  // Week labels like 第3周（3.11–3.17）: rotated on a phone, every one shown only when they fit.
  function weekAxis(narrow) {
    return {
      type: 'category', data: data.weeks.map(function (w) { return w.label; }),
      axisLabel: narrow ? { rotate: 40, interval: 'auto', hideOverlap: true, fontSize: 11, formatter: function (v) { return shorten(v, 8); } } : { hideOverlap: true }
    };
  }

  chart('chart-weeks', function (narrow) {
    return {
      legend: { data: [data.labels.hours, data.labels.personTimes], top: 0 },
      xAxis: weekAxis(narrow),
      yAxis: [
        { type: 'value', name: narrow ? '' : data.labels.hours, splitNumber: narrow ? 3 : 5, axisLabel: { hideOverlap: true } },
        { type: 'value', name: narrow ? '' : data.labels.personTimes, splitNumber: narrow ? 3 : 5, axisLabel: { hideOverlap: true } }
      ],
      series: [
        { name: data.labels.hours, type: 'bar', data: data.weeks.map(hours) },
        { name: data.labels.personTimes, type: 'line', yAxisIndex: 1, data: data.weeks.map(function (w) { return w.personTimes; }) }
      ]
    };
  });
  chart('chart-lines', pie(data.lines, ['35%', '65%'], ['30%', '58%']), 380);
  chart('chart-units', function (narrow, width) {
    // Unit names are long (四会市志愿者联合会…): cut to what the chart's width leaves room for.
    var room = Math.max(5, Math.floor(width / (narrow ? 60 : 40)));
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
      // Few ticks on a phone, so the hour figures cannot run together ("100200300…").
      xAxis: { type: 'value', splitNumber: narrow ? 2 : 5, axisLabel: { hideOverlap: true, fontSize: narrow ? 11 : 12 } },
      yAxis: {
        type: 'category', inverse: true, data: data.units.map(function (f) { return f.label; }),
        axisLabel: { interval: 0, fontSize: narrow ? 11 : 12, formatter: function (v) { return shorten(v, room); } }
      },
      series: [{ name: data.labels.hours, type: 'bar', data: data.units.map(hours), barMaxWidth: 24 }]
    };
  });
  chart('chart-types', pie(data.types, ['0%', '65%'], ['0%', '58%']), 380);
  chart('chart-rate', function (narrow) {
    return {
      xAxis: weekAxis(narrow),
      // Fixed steps, so 90 % never crowds 100 %.
      yAxis: { type: 'value', min: 0, max: 100, interval: narrow ? 25 : 20, axisLabel: { formatter: '{value}%' } },
      series: [{ name: data.labels.rate, type: 'line', areaStyle: {}, data: data.weeks.map(function (w) { return w.rate; }) }]
    };
  });

  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (draw) { draw(); }); }, 150);
  });
})();
