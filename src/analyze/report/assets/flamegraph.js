// nprof's flame graph: draws the flame tree nprof sends as JSON (src/analyze/report/flamegraph.c)
// on a canvas, with zoom, regexp search, a sandwich view and a top table. NPFlame.mount(el, data)
// puts it in any element, so a page written to a file and a served page share this script.
(function () {
  'use strict';

  var ROW = 18; // px per frame
  var MIN_W = 0.5; // narrower boxes are not drawn (nor their callees)

  // ---- the tree: flat preorder arrays, as sent, plus what drawing needs ----
  function Tree(d) {
    var n = d.parent.length, i;
    this.d = d;
    this.n = n;
    this.name = d.name;
    this.parent = d.parent;
    this.total = d.total;
    this.self = d.self;
    this.base = d.base || null;
    this.merged = d.merged || [];
    this.depth = new Int32Array(n);
    this.end = new Int32Array(n);
    this.x = new Float64Array(n); // start of the box, in value units from the root's start
    var next = new Float64Array(n);
    for (i = 0; i < n; i++) {
      var p = this.parent[i];
      this.end[i] = i + 1;
      if (p < 0) continue;
      this.depth[i] = this.depth[p] + 1;
      this.x[i] = this.x[p] + next[p];
      next[p] += Math.max(this.total[i], 0);
    }
    for (i = n - 1; i > 0; i--) {
      var q = this.parent[i];
      if (this.end[i] > this.end[q]) this.end[q] = this.end[i];
    }
  }
  Tree.prototype.label = function (i) {
    if (this.name[i] >= 0) return this.d.names[this.name[i]];
    return i === 0 ? 'root' : '[' + this.merged[i] + ' frames]';
  };
  Tree.prototype.w = function (i) { return Math.max(this.total[i], 0); };

  // ---- values in the sample's unit, as pprof prints them ----
  function fmt(v, unit) {
    var a = Math.abs(v), s = v < 0 ? '-' : '', u = '', k = 1;
    var steps = unit === 'bytes' ? [[1, 'B'], [1024, 'kB'], [1048576, 'MB'], [1073741824, 'GB'], [1099511627776, 'TB']]
      : unit === 'nanoseconds' ? [[1, 'ns'], [1e3, 'us'], [1e6, 'ms'], [1e9, 's']]
        : unit === 'microseconds' ? [[1, 'us'], [1e3, 'ms'], [1e6, 's']]
          : unit === 'milliseconds' ? [[1, 'ms'], [1e3, 's']] : [[1, '']];
    for (var j = 0; j < steps.length; j++) if (a >= steps[j][0]) { k = steps[j][0]; u = steps[j][1]; }
    var t = (a / k).toFixed(2).replace(/\.?0+$/, '');
    return s + t + u;
  }
  function pct(v, of) { return of ? (100 * v / of).toFixed(2) + '%' : '-'; }

  function hash(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return h >>> 0;
  }
  function shortName(s) {
    var p = s.indexOf('(');
    var head = p > 0 ? s.slice(0, p) : s, slash = head.lastIndexOf('/');
    return slash >= 0 ? s.slice(slash + 1) : s;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- colours: a warm hue per library or package; red/blue by change in a diff ----
  function Palette(t) {
    this.t = t;
    this.lib = [];
    var libs = t.d.libs || [];
    for (var i = 0; i < libs.length; i++) {
      var h = hash(libs[i]);
      this.lib.push('hsl(' + (h % 50 + 5) + ',' + (70 + (h >>> 8) % 25) + '%,' + (55 + (h >>> 16) % 12) + '%)');
    }
    this.maxChange = 0;
    if (t.base) for (var j = 0; j < t.n; j++)
      this.maxChange = Math.max(this.maxChange, Math.abs(t.total[j] - t.base[j]));
  }
  Palette.prototype.isNew = function (i) {
    var t = this.t;
    return !!t.base && t.base[i] === 0 && t.total[i] > 0 && t.name[i] >= 0;
  };
  Palette.prototype.fill = function (i) {
    var t = this.t;
    if (t.base) {
      var c = t.total[i] - t.base[i], k = this.maxChange ? Math.abs(c) / this.maxChange : 0;
      var g = Math.round(225 - 180 * Math.sqrt(k));
      if (c > 0) return 'rgb(255,' + g + ',' + g + ')';
      if (c < 0) return 'rgb(' + g + ',' + g + ',255)';
      return 'rgb(225,225,225)';
    }
    if (t.name[i] < 0) return i === 0 ? 'hsl(30,20%,80%)' : 'rgb(200,200,200)';
    return this.lib[t.d.lib[t.name[i]]] || 'hsl(30,80%,60%)';
  };

  // ---- one canvas drawing a tree: zoom, orientation, marks, hit testing ----
  function Graph(canvas, tree, opts) {
    this.c = canvas;
    this.t = tree;
    this.pal = new Palette(tree);
    this.flame = !!opts.flame; // root at the bottom
    this.zoom = 0;
    this.marks = null; // Uint8Array: 1 for search matches
    this.boxes = []; // drawn boxes: {i, x, y, w}
    this.hatch = null;
  }
  Graph.prototype.layout = function () {
    var t = this.t, z = this.zoom, W = this.c.parentNode.clientWidth || 1200;
    var out = [], maxD = 0, zx = t.x[z], zw = t.w(z), scale = zw > 0 ? W / zw : 0;
    for (var a = t.parent[z], anc = []; a >= 0; a = t.parent[a]) anc.push(a);
    for (var k = anc.length - 1; k >= 0; k--) out.push({i: anc[k], x: 0, w: W, d: t.depth[anc[k]]});
    for (var i = z; i < t.end[z];) {
      var w = t.w(i) * scale;
      if (w < MIN_W && i !== z) { i = t.end[i]; continue; }
      out.push({i: i, x: (t.x[i] - zx) * scale, w: i === z ? W : w, d: t.depth[i]});
      if (t.depth[i] > maxD) maxD = t.depth[i];
      i++;
    }
    this.W = W;
    this.rows = Math.max(maxD, t.depth[z]) + 1;
    this.boxes = out;
  };
  Graph.prototype.yOf = function (d) { return this.flame ? (this.rows - 1 - d) * ROW : d * ROW; };
  Graph.prototype.pattern = function (ctx) {
    if (this.hatch) return this.hatch;
    var p = document.createElement('canvas');
    p.width = p.height = 6;
    var g = p.getContext('2d');
    g.strokeStyle = 'rgba(0,0,0,0.35)';
    g.beginPath(); g.moveTo(0, 6); g.lineTo(6, 0); g.stroke();
    return (this.hatch = ctx.createPattern(p, 'repeat'));
  };
  Graph.prototype.draw = function () {
    this.layout();
    var c = this.c, r = window.devicePixelRatio || 1, H = this.rows * ROW;
    c.width = Math.round(this.W * r); c.height = Math.round(H * r);
    c.style.width = this.W + 'px'; c.style.height = H + 'px';
    var ctx = c.getContext('2d');
    ctx.setTransform(r, 0, 0, r, 0, 0);
    ctx.font = '12px sans-serif';
    ctx.textBaseline = 'middle';
    var cw = ctx.measureText('abcdefghij').width / 10;
    for (var k = 0; k < this.boxes.length; k++) this.drawBox(ctx, this.boxes[k], cw);
  };
  Graph.prototype.drawBox = function (ctx, b, cw) {
    var t = this.t, i = b.i, y = this.yOf(b.d), w = Math.max(b.w - 1, 0.5);
    b.y = y;
    var lit = this.marks && this.marks[i];
    ctx.fillStyle = lit ? '#d040d0' : this.pal.fill(i);
    ctx.fillRect(b.x, y, w, ROW - 1);
    if (this.pal.isNew(i)) {
      ctx.fillStyle = this.pattern(ctx);
      ctx.fillRect(b.x, y, w, ROW - 1);
      ctx.strokeStyle = '#600';
      ctx.strokeRect(b.x + 0.5, y + 0.5, Math.max(w - 1, 0), ROW - 2);
    }
    if (w < cw * 3) return;
    var s = i === this.zoom || t.name[i] < 0 ? t.label(i) : shortName(t.label(i)), fit = Math.floor((w - 6) / cw);
    if (s.length > fit) s = s.slice(0, Math.max(fit - 1, 1)) + '\u2026';
    ctx.fillStyle = '#000';
    ctx.fillText(s, b.x + 3, y + ROW / 2);
  };
  Graph.prototype.hit = function (px, py) {
    for (var k = 0; k < this.boxes.length; k++) {
      var b = this.boxes[k];
      if (py >= b.y && py < b.y + ROW && px >= b.x && px < b.x + b.w) return b.i;
    }
    return -1;
  };

  // ---- text of the tooltip, one line each ----
  function describe(t, i, unit) {
    var lines = [t.label(i)], root = t.total[0];
    if (t.name[i] < 0 && i > 0) lines.push(t.merged[i] + ' frames merged here, each too narrow to draw');
    lines.push('Total: ' + fmt(t.total[i], unit) + ' (' + pct(t.total[i], root) + ' of root)');
    lines.push('Self: ' + fmt(t.self[i], unit) + ' (' + pct(t.self[i], root) + ' of root)');
    if (t.base) {
      var b = t.base[i], c = t.total[i] - b;
      lines.push('Base \u2192 new: ' + fmt(b, unit) + ' \u2192 ' + fmt(t.total[i], unit));
      lines.push('Change: ' + (c >= 0 ? '+' : '') + fmt(c, unit) + (b ? ' (' + (c >= 0 ? '+' : '') + (100 * c / b).toFixed(1) + '%)' : ''));
      if (b === 0 && t.total[i] > 0 && t.name[i] >= 0) lines.push('new: not in the base profile');
    }
    return lines;
  }

  // ---- the function table: flat and cum per name, recursion counted once ----
  function perFunction(t) {
    var nn = t.d.names.length, flat = new Float64Array(nn), cum = new Float64Array(nn);
    var on = new Int32Array(nn), stack = [];
    for (var i = 1; i < t.n; i++) {
      while (stack.length && t.end[stack[stack.length - 1]] <= i) on[t.name[stack.pop()]]--;
      var k = t.name[i];
      if (k < 0) continue;
      flat[k] += t.self[i];
      if (!on[k]) cum[k] += t.total[i];
      on[k]++;
      stack.push(i);
    }
    var rows = [];
    for (var j = 0; j < nn; j++) if (flat[j] || cum[j]) rows.push({k: j, flat: flat[j], cum: cum[j]});
    return rows;
  }

  // ---- the sandwich: callers and callees of one function, merged over every place it is ----
  function Nest(name) { this.name = name; this.total = 0; this.self = 0; this.kids = new Map(); }
  Nest.prototype.kid = function (name) {
    var k = this.kids.get(name);
    if (!k) this.kids.set(name, (k = new Nest(name)));
    return k;
  };
  function flatten(root, d) {
    var out = {names: d.names, libs: d.libs, lib: d.lib, name: [], parent: [], total: [], self: [], merged: []};
    var stack = [[root, -1]];
    while (stack.length) {
      var e = stack.pop(), n = e[0], id = out.name.length;
      out.name.push(n.name); out.parent.push(e[1]); out.total.push(n.total); out.self.push(n.self); out.merged.push(0);
      var kids = Array.from(n.kids.values()).sort(function (a, b) { return a.name - b.name; });
      for (var j = kids.length - 1; j >= 0; j--) stack.push([kids[j], id]);
    }
    return out;
  }
  function outermost(t, k) {
    var out = [], on = 0, stack = [];
    for (var i = 1; i < t.n; i++) {
      while (stack.length && t.end[stack[stack.length - 1]] <= i) { stack.pop(); on--; }
      if (t.name[i] !== k) continue;
      if (!on) out.push(i);
      on++;
      stack.push(i);
    }
    return out;
  }
  function addSubtree(t, i, into) {
    into.total += t.total[i]; into.self += t.self[i];
    for (var c = i + 1; c < t.end[i]; c = t.end[c]) addSubtree(t, c, into.kid(t.name[c] >= 0 ? t.name[c] : -1 - t.merged[c]));
  }
  function sandwich(t, k) {
    var occ = outermost(t, k), callers = new Nest(k), callees = new Nest(k);
    for (var j = 0; j < occ.length; j++) {
      var i = occ[j], v = t.total[i], n = callers;
      n.total += v;
      for (var p = t.parent[i]; p > 0; p = t.parent[p]) {
        n = n.kid(t.name[p] >= 0 ? t.name[p] : -1 - t.merged[p]);
        n.total += v;
      }
      n.self += v;
      addSubtree(t, i, callees);
    }
    var fix = function (d) { for (var q = 0; q < d.name.length; q++) if (d.name[q] < 0) { d.merged[q] = -1 - d.name[q]; d.name[q] = -1; } return d; };
    var up = fix(flatten(callers, t.d)), down = fix(flatten(callees, t.d));
    return {up: new Tree(up), down: new Tree(down), calls: occ.length};
  }

  // ---- search: a regexp in RE2's syntax, what -focus reads, turned into a JavaScript RegExp.
  // Both are translated by hand rather than trusted to look alike: RE2 has flag groups, \Q...\E,
  // POSIX classes and (?P<name>...), which RegExp lacks or reads otherwise, and rejects
  // backreferences and lookarounds, which RegExp accepts. Every literal is written as \u{...}
  // so that the result is valid under the u flag, which \p{...} needs.
  var POSIX = {
    alnum: [[48, 57], [65, 90], [97, 122]], alpha: [[65, 90], [97, 122]], ascii: [[0, 127]],
    blank: [[9, 9], [32, 32]], cntrl: [[0, 31], [127, 127]], digit: [[48, 57]], graph: [[33, 126]],
    lower: [[97, 122]], print: [[32, 126]], punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
    space: [[9, 13], [32, 32]], upper: [[65, 90]], word: [[48, 57], [65, 90], [95, 95], [97, 122]],
    xdigit: [[48, 57], [65, 70], [97, 102]]
  };
  var PERL = {d: POSIX.digit, s: [[9, 10], [12, 13], [32, 32]], w: POSIX.word};
  var CTRL = {a: 7, f: 12, t: 9, n: 10, r: 13, v: 11};
  var MAXCP = 0x10ffff;

  function RE2Error(code, text) {
    this.message = 'error parsing regexp: ' + code + ': `' + text + '`';
  }
  function u(c) { return '\\u{' + c.toString(16) + '}'; }
  function complement(rs) {
    var out = [], next = 0;
    rs.slice().sort(function (a, b) { return a[0] - b[0]; }).forEach(function (r) {
      if (r[0] > next) out.push([next, r[0] - 1]);
      next = Math.max(next, r[1] + 1);
    });
    if (next <= MAXCP) out.push([next, MAXCP]);
    return out;
  }
  // ASCII letters of the other case, for a (?i) that covers only part of the pattern.
  function otherCase(rs) {
    var out = [];
    rs.forEach(function (r) {
      var lo = Math.max(r[0], 97), hi = Math.min(r[1], 122);
      if (lo <= hi) out.push([lo - 32, hi - 32]);
      lo = Math.max(r[0], 65); hi = Math.min(r[1], 90);
      if (lo <= hi) out.push([lo + 32, hi + 32]);
    });
    return out;
  }
  function rangesText(rs) {
    return rs.map(function (r) { return r[0] === r[1] ? u(r[0]) : u(r[0]) + '-' + u(r[1]); }).join('');
  }

  // A reader of one pattern: s the text, i the place, and per open group its flags.
  function Re2(s) {
    this.s = s; this.i = 0; this.out = ''; this.groups = [{i: false, s: false, m: false}];
    this.wholeI = false; this.canRep = false; this.repAt = -1;
  }
  Re2.prototype.flags = function () { return this.groups[this.groups.length - 1]; };
  Re2.prototype.fold = function () { return this.flags().i && !this.wholeI; };
  Re2.prototype.atom = function (text) { this.out += text; this.canRep = true; this.repAt = -1; };
  Re2.prototype.literal = function (c) {
    var rs = [[c, c]];
    this.atom(this.fold() && otherCase(rs).length ? '[' + rangesText(rs.concat(otherCase(rs))) + ']' : u(c));
  };
  // "\p{Greek}", "\pL", "\P{^L}": a Unicode class as RegExp names it.
  Re2.prototype.unicodeClass = function (neg) {
    var s = this.s, at = this.i - 2, name;
    if (s[this.i] === '{') {
      var e = s.indexOf('}', this.i);
      if (e < 0) throw new RE2Error('invalid character class range', s.slice(at));
      name = s.slice(this.i + 1, e); this.i = e + 1;
    } else {
      name = s[this.i++] || '';
    }
    if (name[0] === '^') { neg = !neg; name = name.slice(1); }
    var text = s.slice(at, this.i);
    if (name === 'Any') return {ranges: neg ? [] : [[0, MAXCP]]};
    var js = '\\' + (neg ? 'P' : 'p') + '{' + (/^[A-Z][a-z]?$/.test(name) ? name : 'Script=' + name) + '}';
    try { new RegExp(js, 'u'); } catch (e) { throw new RE2Error('invalid character class range', text); }
    return {text: js};
  };
  // One backslash sequence; returns {cp}, {ranges} or {text} (a \p class), or null for \Q.
  Re2.prototype.escape = function (inClass) {
    var s = this.s, at = this.i, c = s[this.i + 1];
    this.i += 2;
    if (c === undefined) throw new RE2Error('trailing backslash at end of expression', '');
    if (c >= '0' && c <= '7' && (c === '0' || (s[this.i] >= '0' && s[this.i] <= '7'))) {
      var v = c.charCodeAt(0) - 48;
      for (var k = 0; k < 2 && s[this.i] >= '0' && s[this.i] <= '7'; k++) v = v * 8 + s.charCodeAt(this.i++) - 48;
      return {cp: v};
    }
    if (c === 'x') {
      var m = s[this.i] === '{' ? /^\{([0-9A-Fa-f]+)\}/.exec(s.slice(this.i)) : /^[0-9A-Fa-f]{2}/.exec(s.slice(this.i));
      if (!m || parseInt(m[1] || m[0], 16) > MAXCP) throw new RE2Error('invalid escape sequence', s.slice(at, this.i + 2));
      this.i += m[0].length;
      return {cp: parseInt(m[1] || m[0], 16)};
    }
    if (CTRL[c]) return {cp: CTRL[c]};
    var lower = c.toLowerCase();
    if (PERL[lower]) return {ranges: c === lower ? PERL[lower] : complement(PERL[lower])};
    if (c === 'p' || c === 'P') return this.unicodeClass(c === 'P');
    if (!inClass && c === 'Q') return null;
    if (!inClass && 'AzbB'.indexOf(c) >= 0) return {text: {A: '(?:^)', z: '(?:$)', b: '(?:\\b)', B: '(?:\\B)'}[c]};
    if (!inClass && c === 'C') return {ranges: [[0, MAXCP]]};
    if (/[0-9A-Za-z]/.test(c)) throw new RE2Error('invalid escape sequence', s.slice(at, this.i));
    var cpt = s.codePointAt(at + 1);
    this.i = at + 1 + String.fromCodePoint(cpt).length;
    return {cp: cpt};
  };
  // A bracket expression from '[' to ']'.
  Re2.prototype.bracket = function () {
    var s = this.s, at = this.i, ranges = [], texts = [], neg = false;
    this.i++;
    if (s[this.i] === '^') { neg = true; this.i++; }
    for (var first = true; first || s[this.i] !== ']'; first = false) {
      if (this.i >= s.length) throw new RE2Error('missing closing ]', s.slice(at));
      var m = /^\[:(\^?)([a-z]+):\]/.exec(s.slice(this.i));
      if (m) {
        if (!POSIX[m[2]]) throw new RE2Error('invalid character class range', m[0]);
        ranges = ranges.concat(m[1] ? complement(POSIX[m[2]]) : POSIX[m[2]]);
        this.i += m[0].length;
        continue;
      }
      var lo = this.classChar(), hi = lo;
      if (lo.cp === undefined) {
        if (lo.text) texts.push(lo.text); else ranges = ranges.concat(lo.ranges);
        continue;
      }
      if (s[this.i] === '-' && s[this.i + 1] !== ']' && this.i + 1 < s.length) {
        var from = this.i - 1;
        this.i++;
        hi = this.classChar();
        if (hi.cp === undefined || hi.cp < lo.cp) throw new RE2Error('invalid character class range', s.slice(from, this.i));
      }
      ranges.push([lo.cp, hi.cp]);
    }
    this.i++;
    if (this.fold()) ranges = ranges.concat(otherCase(ranges));
    if (neg && !texts.length) {
      this.atom(ranges.length ? '[' + rangesText(complement(ranges)) + ']' : '[\\u{0}-\\u{10ffff}]');
      return;
    }
    this.atom('[' + (neg ? '^' : '') + rangesText(ranges) + texts.join('') + ']');
  };
  Re2.prototype.classChar = function () {
    var s = this.s;
    if (s[this.i] === '\\') return this.escape(true);
    var c = s.codePointAt(this.i);
    this.i += String.fromCodePoint(c).length;
    return {cp: c};
  };
  // "(" with what may follow it: flags, a named group or a plain group.
  Re2.prototype.paren = function () {
    var s = this.s, at = this.i, top = this.flags();
    this.canRep = false; this.repAt = -1;
    if (s[at + 1] !== '?') {
      this.i++;
      this.groups.push({i: top.i, s: top.s, m: top.m});
      this.out += '(?:';
      return;
    }
    var named = /^\(\?P<([A-Za-z0-9_]*)>/.exec(s.slice(at));
    if (named) {
      if (!named[1]) throw new RE2Error('invalid named capture', named[0]);
      this.i += named[0].length;
      this.groups.push({i: top.i, s: top.s, m: top.m});
      this.out += '(?:';
      return;
    }
    var f = {i: top.i, s: top.s, m: top.m}, on = true, j = at + 2;
    for (; j < s.length && 'imsU-'.indexOf(s[j]) >= 0; j++) {
      if (s[j] === '-') on = false; else if (s[j] !== 'U') f[s[j]] = on;
    }
    if (s[j] !== ')' && s[j] !== ':') throw new RE2Error('invalid or unsupported Perl syntax', s.slice(at, j + 1));
    this.i = j + 1;
    if (s[j] === ':') { this.groups.push(f); this.out += '(?:'; return; }
    this.groups[this.groups.length - 1] = f;
  };
  Re2.prototype.repeat = function () {
    var s = this.s, at = this.i, len = 1;
    if (s[at] === '{') {
      var m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(at));
      if (!m) { this.literal(123); this.i++; return; }
      var lo = +m[1], hi = m[2] ? (m[3] === '' ? -1 : +m[3]) : lo;
      if (lo > 1000 || hi > 1000 || (hi >= 0 && lo > hi)) throw new RE2Error('invalid repeat count', m[0]);
      len = m[0].length;
    }
    if (s[at + len] === '?') len++;
    if (this.repAt >= 0) throw new RE2Error('invalid nested repetition operator', s.slice(this.repAt, at + len));
    if (!this.canRep) throw new RE2Error('missing argument to repetition operator', s.slice(at, at + len));
    this.out += s.slice(at, at + len);
    this.i = at + len;
    this.repAt = at;
  };
  Re2.prototype.quoted = function () {
    var e = this.s.indexOf('\\E', this.i), stop = e < 0 ? this.s.length : e;
    while (this.i < stop) {
      var c = this.s.codePointAt(this.i);
      this.literal(c);
      this.i += String.fromCodePoint(c).length;
    }
    if (e >= 0) this.i = e + 2;
  };
  Re2.prototype.step = function () {
    var s = this.s, c = s[this.i], f = this.flags();
    if (c === '(') return this.paren();
    if (c === ')') {
      if (this.groups.length < 2) throw new RE2Error('unexpected )', s);
      this.groups.pop(); this.i++;
      return this.atom(')');
    }
    if (c === '|') { this.i++; this.out += '|'; this.canRep = false; this.repAt = -1; return; }
    if ('*+?{'.indexOf(c) >= 0) return this.repeat();
    if (c === '[') return this.bracket();
    this.i++;
    if (c === '.') return this.atom(f.s ? '[\\u{0}-\\u{10ffff}]' : '[^\\n]');
    if (c === '^') return this.atom(f.m ? '(?:^|(?<=\\n))' : '(?:^)');
    if (c === '$') return this.atom(f.m ? '(?:$|(?=\\n))' : '(?:$)');
    if (c === '\\') {
      this.i--;
      var e = this.escape(false);
      if (!e) return this.quoted();
      if (e.cp !== undefined) return this.literal(e.cp);
      return this.atom(e.text || '[' + rangesText(this.fold() ? e.ranges.concat(otherCase(e.ranges)) : e.ranges) + ']');
    }
    this.i--;
    var cp = s.codePointAt(this.i);
    this.i += String.fromCodePoint(cp).length;
    this.literal(cp);
  };
  // Returns {re: RegExp} or {error: the message -focus gives for the same text}.
  function re2RegExp(src) {
    var r = new Re2(src);
    // A leading (?i) that nothing clears folds the whole pattern, which RegExp's i does with
    // Unicode's case folding as RE2 does; a partial one folds ASCII letters by hand.
    var lead = /^\(\?([imsU]*)(-[imsU]*)?\)/.exec(src);
    r.wholeI = !!lead && lead[1].indexOf('i') >= 0 && !/\(\?[imsU]*-[imsU]*i/.test(src);
    try {
      while (r.i < src.length) r.step();
      if (r.groups.length > 1) throw new RE2Error('missing closing )', src);
      return {re: new RegExp(r.out, r.wholeI ? 'iu' : 'u')};
    } catch (e) {
      return {error: e instanceof RE2Error ? e.message : 'error parsing regexp: ' + e.message};
    }
  }

  // ---- the page ----
  function mount(root, data) {
    var t0 = performance.now();
    var t = new Tree(data), unit = data.unit;
    root.classList.add('npflame');
    var head = el('div', 'npf-head');
    head.appendChild(el('h1', '', (data.title ? data.title + ': ' : '') + 'flame graph of ' + data.sampleType));
    head.appendChild(el('pre', 'npf-labels', data.labels + (data.filters.length ? 'Active filters: ' + data.filters.join(' ') + '\n' : '') +
      'Total: ' + fmt(t.total[0], unit) + (data.fullBoxes > data.boxes ? '; ' + data.boxes + ' of ' + data.fullBoxes +
        ' boxes (frames under ' + fmt(data.cutoff, unit) + ' merged into [N frames] boxes)' : '')));
    var bar = el('div', 'npf-bar');
    var search = el('input', 'npf-search'); search.placeholder = 'Search (regexp)'; search.type = 'search';
    var matched = el('span', 'npf-matched', '');
    var orient = el('button', 'npf-orient', 'Flame (root at the bottom)');
    var reset = el('button', 'npf-reset', 'Reset zoom');
    bar.appendChild(search); bar.appendChild(matched); bar.appendChild(reset); bar.appendChild(orient);
    if (t.base) {
      var lg = el('span', 'npf-legend');
      lg.appendChild(el('span', 'npf-key npf-grow', 'growth'));
      lg.appendChild(el('span', 'npf-key npf-shrink', 'shrinkage'));
      lg.appendChild(el('span', 'npf-key npf-new', 'new frame'));
      lg.appendChild(el('span', '', 'widths: new profile; colour depth: change relative to the largest change (' + fmt(new Palette(t).maxChange, unit) + ')'));
      bar.appendChild(lg);
    }
    var crumbs = el('div', 'npf-crumbs');
    var body = el('div', 'npf-body');
    var wrap = el('div', 'npf-graph'), canvas = el('canvas', 'npf-canvas');
    wrap.appendChild(canvas);
    var side = el('div', 'npf-side');
    body.appendChild(wrap); body.appendChild(side);
    var sw = el('div', 'npf-sandwich'); sw.hidden = true;
    var tip = el('div', 'npf-tip'); tip.hidden = true;
    [head, bar, crumbs, sw, body, tip].forEach(function (e) { root.appendChild(e); });

    var g = new Graph(canvas, t, {flame: false}), history = [], swGraphs = [];
    var api = {graph: g, firstDraw: 0, lastDraw: 0};

    function redraw() {
      var s = performance.now();
      g.draw();
      drawCrumbs();
      api.lastDraw = performance.now() - s;
    }
    function drawCrumbs() {
      crumbs.textContent = '';
      var path = [];
      for (var a = g.zoom; a >= 0; a = t.parent[a]) path.unshift(a);
      path.forEach(function (i, j) {
        if (j) crumbs.appendChild(document.createTextNode(' \u203a '));
        var b = el('a', 'npf-crumb', j ? shortName(t.label(i)) : 'root');
        b.href = '#'; b.dataset.node = i;
        b.onclick = function (ev) { ev.preventDefault(); zoomTo(i); };
        crumbs.appendChild(b);
      });
    }
    function zoomTo(i) {
      if (i === g.zoom) return;
      history.push(g.zoom);
      g.zoom = i;
      redraw();
    }
    function back() {
      if (!sw.hidden) { sw.hidden = true; return; }
      if (history.length) { g.zoom = history.pop(); redraw(); }
    }
    // What a name is matched on, as -focus matches a frame: its functions' names and files and
    // its mapping's file (data.match, references into names and then keys), else the name.
    function keysOf(k) {
      var m = data.match && data.match[k], nn = data.names.length;
      if (!m) return [data.names[k]];
      return m.map(function (r) { return r < nn ? data.names[r] : data.keys[r - nn]; });
    }
    function share(v) { return (t.total[0] ? (100 * v / t.total[0]).toFixed(1) : '0.0') + '%'; }
    function runSearch() {
      var q = search.value, got = q ? re2RegExp(q) : null, re = got && got.re;
      search.classList.toggle('npf-bad', !!(got && got.error));
      matched.classList.toggle('npf-error', !!(got && got.error));
      api.matchedValue = undefined;
      if (!re) { g.marks = null; matched.textContent = got ? got.error : ''; redraw(); return; }
      var hitName = new Int8Array(data.names.length);
      for (var k = 0; k < hitName.length; k++) hitName[k] = keysOf(k).some(function (x) { return re.test(x); }) ? 1 : 0;
      // A merged box outside every match may hide matching frames: its weight is told apart.
      var marks = new Uint8Array(t.n), sum = 0, hidden = 0;
      for (var i = 1; i < t.n;) {
        if (t.name[i] >= 0 && hitName[t.name[i]]) {
          sum += t.total[i];
          for (var j = i; j < t.end[i]; j++) marks[j] = t.name[j] >= 0 && hitName[t.name[j]] ? 1 : 0;
          i = t.end[i];
        } else {
          if (t.name[i] < 0) hidden += t.total[i];
          i++;
        }
      }
      g.marks = marks;
      matched.textContent = 'Matched: ' + share(sum) + (hidden ? ' (frames merged into [N frames] boxes, ' + share(hidden) + ', not searched)' : '');
      api.matchedValue = sum;
      redraw();
    }
    function showTip(ev, tree, i) {
      if (i < 0) { tip.hidden = true; return; }
      tip.textContent = '';
      describe(tree, i, unit).forEach(function (line, j) { tip.appendChild(el('div', j ? '' : 'npf-tip-name', line)); });
      tip.hidden = false;
      var x = ev.clientX + 14, y = ev.clientY + 14;
      if (x + tip.offsetWidth > window.innerWidth) x = Math.max(ev.clientX - tip.offsetWidth - 14, 0);
      if (y + tip.offsetHeight > window.innerHeight) y = Math.max(ev.clientY - tip.offsetHeight - 14, 0);
      tip.style.left = x + 'px'; tip.style.top = y + 'px';
    }
    function pointer(graph, ev) {
      var r = graph.c.getBoundingClientRect();
      return graph.hit(ev.clientX - r.left, ev.clientY - r.top);
    }
    canvas.addEventListener('mousemove', function (ev) { showTip(ev, t, pointer(g, ev)); });
    canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
    canvas.addEventListener('click', function (ev) { var i = pointer(g, ev); if (i >= 0) zoomTo(i); });
    // A page around the graph (the web UI) may offer its own menu for a frame: it hears
    // 'npflame-menu' and cancels it to take the right click from the browser's menu.
    canvas.addEventListener('contextmenu', function (ev) {
      var i = pointer(g, ev);
      if (i <= 0 || t.name[i] < 0) return;
      var asked = new CustomEvent('npflame-menu', {cancelable: true,
        detail: {name: t.label(i), x: ev.clientX, y: ev.clientY}});
      if (!document.dispatchEvent(asked)) { ev.preventDefault(); tip.hidden = true; }
    });
    search.addEventListener('input', runSearch);
    reset.onclick = function () { if (g.zoom) { history.push(g.zoom); g.zoom = 0; redraw(); } };
    orient.onclick = function () {
      g.flame = !g.flame;
      orient.textContent = g.flame ? 'Icicle (root on top)' : 'Flame (root at the bottom)';
      redraw();
    };
    document.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') back();
    });
    window.addEventListener('resize', function () { redraw(); swGraphs.forEach(function (s) { s.draw(); }); });

    function openSandwich(k) {
      var s = sandwich(t, k);
      sw.textContent = '';
      var h = el('div', 'npf-sw-head');
      h.appendChild(el('b', 'npf-sw-title', data.names[k]));
      h.appendChild(el('span', '', ' callers above, callees below, merged over ' + s.calls + ' places; total ' + fmt(s.down.total[0], unit)));
      var close = el('button', 'npf-sw-close', 'Close');
      close.onclick = function () { sw.hidden = true; };
      h.appendChild(close);
      sw.appendChild(h);
      var up = el('div', 'npf-graph'), down = el('div', 'npf-graph');
      var cu = el('canvas', 'npf-callers'), cd = el('canvas', 'npf-callees');
      up.appendChild(cu); down.appendChild(cd);
      sw.appendChild(up); sw.appendChild(down);
      sw.hidden = false;
      swGraphs = [new Graph(cu, s.up, {flame: true}), new Graph(cd, s.down, {flame: false})];
      swGraphs.forEach(function (sg) {
        sg.draw();
        sg.c.addEventListener('mousemove', function (ev) { showTip(ev, sg.t, pointer(sg, ev)); });
        sg.c.addEventListener('mouseleave', function () { tip.hidden = true; });
      });
      api.sandwich = {callers: swGraphs[0], callees: swGraphs[1], name: data.names[k]};
      sw.scrollIntoView();
    }

    function topTable() {
      var rows = perFunction(t), by = 'flat', shown = 300;
      var table = el('table', 'npf-top'), thead = el('tr');
      ['Flat', 'Flat%', 'Cum', 'Cum%', 'Name'].forEach(function (c) {
        var th = el('th', '', c);
        if (c === 'Flat' || c === 'Cum') { th.className = 'npf-sort'; th.onclick = function () { by = c.toLowerCase(); fill(); }; }
        thead.appendChild(th);
      });
      function fill() {
        rows.sort(function (a, b) { return Math.abs(b[by]) - Math.abs(a[by]) || (data.names[a.k] < data.names[b.k] ? -1 : 1); });
        table.textContent = '';
        table.appendChild(thead);
        rows.slice(0, shown).forEach(function (r) {
          var tr = el('tr');
          tr.appendChild(el('td', 'npf-num', fmt(r.flat, unit)));
          tr.appendChild(el('td', 'npf-num', pct(r.flat, t.total[0])));
          tr.appendChild(el('td', 'npf-num', fmt(r.cum, unit)));
          tr.appendChild(el('td', 'npf-num', pct(r.cum, t.total[0])));
          var td = el('td', 'npf-fn');
          var a = el('a', 'npf-fn-name', data.names[r.k]);
          a.href = '#'; a.title = 'Search for this function';
          a.onclick = function (ev) {
            ev.preventDefault();
            search.value = '^' + data.names[r.k].replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
            runSearch();
          };
          var sb = el('button', 'npf-sw-open', 'sandwich');
          sb.title = 'Callers and callees of this function';
          sb.onclick = function () { openSandwich(r.k); };
          td.appendChild(sb); td.appendChild(a);
          tr.appendChild(td);
          table.appendChild(tr);
        });
        if (rows.length > shown) {
          var more = el('tr');
          more.appendChild(el('td', 'npf-more', (rows.length - shown) + ' more functions'));
          table.appendChild(more);
        }
      }
      fill();
      side.appendChild(table);
    }

    redraw();
    topTable();
    api.firstDraw = performance.now() - t0;
    api.tree = t;
    api.zoomTo = zoomTo;
    api.back = back;
    api.search = function (q) { search.value = q; runSearch(); return matched.textContent; };
    api.sandwich = null;
    api.openSandwich = function (name) { var k = data.names.indexOf(name); if (k >= 0) openSandwich(k); return k >= 0; };
    // Geometry for tests and tools: every drawn box with its place in CSS pixels.
    api.boxes = function (graph) {
      graph = graph || g;
      return graph.boxes.map(function (b) {
        return {id: b.i, parent: graph.t.parent[b.i], name: graph.t.label(b.i), depth: b.d, x: b.x, y: b.y, w: b.w, h: ROW - 1,
          total: graph.t.total[b.i], fill: graph.pal.fill(b.i), isNew: graph.pal.isNew(b.i), marked: !!(graph.marks && graph.marks[b.i])};
      });
    };
    root.npflame = api;
    return api;
  }

  window.NPFlame = {mount: mount, Tree: Tree, format: fmt, re2RegExp: re2RegExp};
  var src = document.getElementById('npflame-data'), host = document.getElementById('npflame');
  if (src && host) window.npflame = mount(host, JSON.parse(src.textContent));
})();
