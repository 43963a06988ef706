// Pan and zoom for a call graph that Graphviz drew, inside the SVG file itself: the graph sits
// in the group "viewport", whose transform is translate(x,y) scale(s). The wheel zooms around
// the pointer, a drag with the left button pans, "0" fits the graph to the window again.
// The script comes before the groups it moves, so it starts once the document is loaded.
window.addEventListener('load', function () {
  'use strict';
  var root = document.documentElement;
  var view = document.getElementById('viewport');
  if (!view || !root.createSVGPoint) {
    return;
  }
  var x = 0, y = 0, s = 1;
  var drag = null;
  var MIN = 0.01, MAX = 50;

  function apply() {
    view.setAttribute('transform', 'translate(' + x + ',' + y + ') scale(' + s + ')');
  }

  // The pointer in the root's own units (client pixels when there is no viewBox).
  function at(evt) {
    var p = root.createSVGPoint();
    p.x = evt.clientX;
    p.y = evt.clientY;
    var m = root.getScreenCTM();
    return m ? p.matrixTransform(m.inverse()) : p;
  }

  // Scale and centre the graph to fill the window, never enlarging it past its drawn size.
  function fit() {
    view.setAttribute('transform', '');
    var box = view.getBBox();
    var w = root.clientWidth || window.innerWidth, h = root.clientHeight || window.innerHeight;
    s = 1;
    if (box.width > 0 && box.height > 0) {
      s = Math.min(1, w / box.width, h / box.height);
    }
    x = (w - box.width * s) / 2 - box.x * s;
    y = (h - box.height * s) / 2 - box.y * s;
    apply();
  }

  function zoom(factor, px, py) {
    var ns = Math.min(MAX, Math.max(MIN, s * factor));
    factor = ns / s;
    // The point under the pointer stays where it is.
    x = px - (px - x) * factor;
    y = py - (py - y) * factor;
    s = ns;
    apply();
  }

  root.addEventListener('wheel', function (evt) {
    evt.preventDefault();
    var d = evt.deltaY;
    if (evt.deltaMode === 1) {
      d *= 16; // lines
    } else if (evt.deltaMode === 2) {
      d *= 400; // pages
    }
    var p = at(evt);
    zoom(Math.pow(2, -d / 300), p.x, p.y);
  }, {passive: false});

  root.addEventListener('mousedown', function (evt) {
    if (evt.button !== 0) {
      return;
    }
    var p = at(evt);
    drag = {px: p.x, py: p.y, x: x, y: y};
    evt.preventDefault();
  });

  root.addEventListener('mousemove', function (evt) {
    if (!drag) {
      return;
    }
    var p = at(evt);
    x = drag.x + p.x - drag.px;
    y = drag.y + p.y - drag.py;
    apply();
  });

  function stop() {
    drag = null;
  }
  root.addEventListener('mouseup', stop);
  root.addEventListener('mouseleave', stop);

  document.addEventListener('keydown', function (evt) {
    var w = root.clientWidth || window.innerWidth, h = root.clientHeight || window.innerHeight;
    if (evt.key === '0') {
      fit();
    } else if (evt.key === '+' || evt.key === '=') {
      zoom(1.25, w / 2, h / 2);
    } else if (evt.key === '-') {
      zoom(0.8, w / 2, h / 2);
    }
  });

  fit();
});
