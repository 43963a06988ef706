// The web UI's page script (nprof -http): keeps the URL the one state of a view (the form and
// the click menu only build URLs), sorts the Top table, and pans and zooms the inline graph.
(function () {
  'use strict';
  var form = document.getElementById('filters');
  var menu = document.getElementById('menu');

  // Empty fields are left out, so that a URL names only what was chosen.
  form.addEventListener('submit', function () {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value === '') {
        el.disabled = true;
      }
    });
  });
  document.getElementById('si').addEventListener('change', function () {
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });

  // A regular expression that matches exactly this name.
  function exact(name) {
    return '^' + name.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') + '$';
  }

  // The URL of view (a path like "./top") with the current parameters and param set to value;
  // add joins the value to the current one as an alternative instead.
  function urlWith(view, param, value, add) {
    var q = new URLSearchParams(window.location.search);
    var old = q.get(param);
    q.set(param, add && old ? old + '|' + value : value);
    return view + '?' + q.toString();
  }

  function hideMenu() {
    menu.hidden = true;
  }

  // The menu's Focus is asked for as the menu opens: the server makes it while the pointer
  // travels to the item and keeps it, so the click finds it made (once per URL and page).
  var prefetched = {};
  function prefetch(url) {
    if (prefetched[url] || !window.fetch) {
      return;
    }
    prefetched[url] = true;
    fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.text(); })
      .catch(function () { delete prefetched[url]; });
  }

  function showMenu(name, x, y) {
    var here = './' + document.body.dataset.view;
    var re = exact(name);
    var items = [
      ['Focus', urlWith(here, 'f', re, false)],
      ['Ignore', urlWith(here, 'i', re, true)],
      ['Hide', urlWith(here, 'h', re, true)],
      ['Show source', urlWith('./source', 'f', re, false)],
    ];
    menu.textContent = '';
    var title = document.createElement('div');
    title.className = 'title';
    title.textContent = name;
    menu.appendChild(title);
    items.forEach(function (it) {
      var a = document.createElement('a');
      a.textContent = it[0];
      a.href = it[1];
      a.dataset.action = it[0].toLowerCase().replace(' ', '-');
      menu.appendChild(a);
    });
    menu.hidden = false;
    prefetch(items[0][1]);
    var w = menu.offsetWidth, h = menu.offsetHeight;
    menu.style.left = Math.max(0, Math.min(x, window.innerWidth - w - 4)) + 'px';
    menu.style.top = Math.max(0, Math.min(y, window.innerHeight - h - 4)) + 'px';
  }

  // The flame graph's frames: a right click (a left click zooms, as in every flame graph).
  document.addEventListener('npflame-menu', function (evt) {
    evt.preventDefault();
    showMenu(evt.detail.name, evt.detail.x, evt.detail.y);
  });

  document.addEventListener('click', function (evt) {
    if (!menu.contains(evt.target)) {
      hideMenu();
    }
  });
  document.addEventListener('keydown', function (evt) {
    if (evt.key === 'Escape') {
      hideMenu();
    }
  });

  // A name as the reports print it, without the " (inline)" mark of an inlined frame.
  function plain(name) {
    return name.replace(/ \(inline\)$/, '');
  }

  // Value cells hold exact 64-bit integers, beyond what a Number keeps exactly: two of them
  // are compared as decimal text (sign, then length, then digits); shares as numbers.
  var INT = /^-?[0-9]+$/;
  function compareValues(x, y) {
    if (!INT.test(x) || !INT.test(y)) return (+x) - (+y);
    var nx = x.charAt(0) === '-', ny = y.charAt(0) === '-';
    if (nx !== ny) return nx ? -1 : 1;
    var c = x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
    return nx ? -c : c;
  }

  function setupTop(table) {
    var body = table.tBodies[0];
    table.querySelectorAll('th').forEach(function (th) {
      th.addEventListener('click', function () {
        var col = +th.dataset.col;
        // Numbers sort largest first, names alphabetically; a second click reverses.
        var desc = th.classList.contains('sorted-desc') ? false
                 : th.classList.contains('sorted-asc') ? true : col !== 5;
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (r, i) { r.dataset.pos = r.dataset.pos || i; });
        rows.sort(function (a, b) {
          var x, y, c;
          if (col === 5) {
            x = a.cells[5].dataset.name; y = b.cells[5].dataset.name;
            c = x < y ? -1 : x > y ? 1 : 0;
          } else {
            c = compareValues(a.cells[col].dataset.v, b.cells[col].dataset.v);
          }
          return (desc ? -c : c) || (a.dataset.pos - b.dataset.pos);
        });
        rows.forEach(function (r) { body.appendChild(r); });
        table.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
        th.classList.add(desc ? 'sorted-desc' : 'sorted-asc');
      });
    });
    body.addEventListener('click', function (evt) {
      var cell = evt.target.closest('td.name');
      if (cell) {
        evt.stopPropagation();
        showMenu(plain(cell.dataset.name), evt.clientX, evt.clientY);
      }
    });
  }

  // The function a graph node stands for: its tooltip is "name (cum)".
  function nodeName(node) {
    var a = node.querySelector('a');
    var t = a ? (a.getAttribute('xlink:title') || a.getAttribute('title') || '') : '';
    var cut = t.lastIndexOf(' (');
    return plain(cut > 0 ? t.slice(0, cut) : t);
  }

  function setupGraph(box) {
    var svg = box.querySelector('svg');
    var view = svg && svg.querySelector('#viewport');
    if (!view) {
      return;
    }
    var st = {x: 0, y: 0, s: 1}, drag = null, moved = false;
    function apply() {
      view.setAttribute('transform', 'translate(' + st.x + ',' + st.y + ') scale(' + st.s + ')');
    }
    // The point of the drawing's own coordinates that lies under client point (cx, cy).
    function local(cx, cy) {
      var r = svg.getBoundingClientRect();
      return {x: cx - r.left, y: cy - r.top};
    }
    function fit() {
      view.setAttribute('transform', '');
      var b = view.getBBox(), r = svg.getBoundingClientRect();
      st.s = b.width > 0 && b.height > 0 ? Math.min(1, r.width / b.width, r.height / b.height) : 1;
      st.x = (r.width - b.width * st.s) / 2 - b.x * st.s;
      st.y = (r.height - b.height * st.s) / 2 - b.y * st.s;
      apply();
    }
    svg.addEventListener('wheel', function (evt) {
      evt.preventDefault();
      var p = local(evt.clientX, evt.clientY);
      var k = Math.pow(2, -evt.deltaY * (evt.deltaMode ? 16 : 1) / 300);
      var ns = Math.max(0.01, Math.min(50, st.s * k));
      st.x = p.x - (p.x - st.x) * ns / st.s;
      st.y = p.y - (p.y - st.y) * ns / st.s;
      st.s = ns;
      apply();
    }, {passive: false});
    svg.addEventListener('mousedown', function (evt) {
      if (evt.button === 0) {
        drag = {cx: evt.clientX, cy: evt.clientY, x: st.x, y: st.y};
        moved = false;
        evt.preventDefault();
      }
    });
    window.addEventListener('mousemove', function (evt) {
      if (drag) {
        var dx = evt.clientX - drag.cx, dy = evt.clientY - drag.cy;
        moved = moved || Math.abs(dx) + Math.abs(dy) > 3;
        st.x = drag.x + dx;
        st.y = drag.y + dy;
        apply();
      }
    });
    window.addEventListener('mouseup', function () { drag = null; });
    svg.addEventListener('click', function (evt) {
      var node = evt.target.closest('g.node');
      if (node && !moved) {
        evt.stopPropagation();
        evt.preventDefault();
        showMenu(nodeName(node), evt.clientX, evt.clientY);
      }
    });
    document.addEventListener('keydown', function (evt) {
      if (evt.key === '0' && evt.target === document.body) {
        fit();
      }
    });
    fit();
  }

  var table = document.getElementById('toptable');
  if (table) {
    setupTop(table);
  }
  var graph = document.getElementById('graph');
  if (graph) {
    setupGraph(graph);
  }
})();
