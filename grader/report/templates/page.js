document.querySelectorAll('table.sortable thead th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
    var dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
    table.querySelectorAll('thead th').forEach(function (h) { delete h.dataset.dir; });
    th.dataset.dir = dir;
    function key(row) {
      var td = row.cells[i], v = td.dataset.value !== undefined ? td.dataset.value : td.textContent.trim();
      var n = Number(v);
      return v === '' ? [2, 0] : (isFinite(n) ? [0, n] : [1, v.toLowerCase()]);
    }
    var rows = Array.prototype.slice.call(body.rows).map(function (r) { return [key(r), r]; });
    rows.sort(function (a, b) {
      if (a[0][0] !== b[0][0]) return a[0][0] - b[0][0];
      var c = a[0][1] < b[0][1] ? -1 : a[0][1] > b[0][1] ? 1 : 0;
      return dir === 'asc' ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r[1]); });
  });
});
document.querySelectorAll('input[data-only-wrong]').forEach(function (box) {
  box.addEventListener('change', function () {
    document.querySelectorAll('details.ex.right').forEach(function (d) { d.hidden = box.checked; });
  });
});
