/* The 好差评 form shared by the window's evaluation pad and the phone page's widget: five
   levels; the two lowest ask for a reason from a list and an optional comment. */
(function () {
  "use strict";

  // One face per level, drawn as SVG (a kiosk font may lack the emoji faces): a grin with
  // laughing eyes, a smile, a straight mouth, a frown, and a deep frown under knitted brows.
  var LINE = { fill: "none", stroke: "currentColor", "stroke-width": 3, "stroke-linecap": "round", "stroke-linejoin": "round" };
  var DOT_EYES = [["circle", { cx: 17, cy: 19, r: 2.6, fill: "currentColor" }], ["circle", { cx: 31, cy: 19, r: 2.6, fill: "currentColor" }]];
  function line(d) { return ["path", Object.assign({ d: d }, LINE)]; }
  var FACES = {
    very_satisfied: [
      line("M13 18 Q17 13 21 18"), line("M27 18 Q31 13 35 18"),
      ["path", { d: "M14 28 L34 28 Q24 41 14 28 Z", fill: "currentColor", stroke: "currentColor", "stroke-width": 2, "stroke-linejoin": "round" }],
    ],
    satisfied: DOT_EYES.concat([line("M15 28 Q24 36 33 28")]),
    basic: DOT_EYES.concat([line("M15 31 L33 31")]),
    dissatisfied: DOT_EYES.concat([line("M15 34 Q24 27 33 34")]),
    very_dissatisfied: DOT_EYES.concat([line("M11 12 L21 15"), line("M37 12 L27 15"), line("M13 37 Q24 23 35 37")]),
  };

  function face(code) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 48 48");
    svg.setAttribute("class", "face");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var parts = [["circle", { cx: 24, cy: 24, r: 21, fill: "none", stroke: "currentColor", "stroke-width": 3 }]]
      .concat(FACES[code] || FACES.basic);
    parts.forEach(function (part) {
      var node = document.createElementNS(ns, part[0]);
      Object.keys(part[1]).forEach(function (k) { node.setAttribute(k, part[1][k]); });
      svg.appendChild(node);
    });
    return svg;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Renders into `container`; calls onSubmit({level, reason, comment}) which returns a Promise. */
  function RatingForm(container, options) {
    this.container = container;
    this.levels = options.levels;
    this.reasons = options.reasons;
    this.onSubmit = options.onSubmit;
    this.idPrefix = options.idPrefix || "rating";
    this.chosen = null;
    this.render();
  }

  RatingForm.prototype.render = function () {
    var self = this;
    var c = this.container;
    c.textContent = "";
    var levels = el("div", "rating-levels");
    levels.setAttribute("role", "group");
    levels.setAttribute("aria-label", "评价等级 Rating");
    this.levels.forEach(function (level) {
      var button = el("button", "rating-level level-" + level.code);
      button.type = "button";
      button.dataset.level = level.code;
      button.appendChild(face(level.code));
      button.appendChild(el("span", "zh", level.name));
      var en = el("small", "en", level.name_en);
      en.lang = "en";
      button.appendChild(en);
      button.addEventListener("click", function () { self.choose(level); });
      levels.appendChild(button);
    });
    c.appendChild(levels);

    var more = el("div", "rating-more");
    more.hidden = true;
    var legend = el("p", "rating-ask", "请告诉我们哪里不满意：");
    var legendEn = el("small", "", "What went wrong?");
    legendEn.lang = "en";
    legend.appendChild(legendEn);
    more.appendChild(legend);
    var reasons = el("div", "rating-reasons");
    reasons.setAttribute("role", "group");
    reasons.setAttribute("aria-label", "不满意原因 Reason");
    this.reasons.forEach(function (reason) {
      var button = el("button", "rating-reason", reason.name);
      button.type = "button";
      button.dataset.reason = reason.code;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(reasons.children, function (b) { b.setAttribute("aria-pressed", "false"); });
        button.setAttribute("aria-pressed", "true");
        self.reason = reason.code;
        send.disabled = false;
      });
      reasons.appendChild(button);
    });
    more.appendChild(reasons);
    var label = el("label", "rating-comment-label", "其他意见（可不填）");
    label.htmlFor = this.idPrefix + "-comment";
    var labelEn = el("small", "", " Comment (optional)");
    labelEn.lang = "en";
    label.appendChild(labelEn);
    more.appendChild(label);
    var comment = el("textarea", "rating-comment");
    comment.id = this.idPrefix + "-comment";
    comment.maxLength = 200;
    comment.rows = 2;
    more.appendChild(comment);
    var send = el("button", "rating-send", "提交评价");
    send.type = "button";
    send.disabled = true;
    send.addEventListener("click", function () {
      self.submit({ level: self.chosen.code, reason: self.reason, comment: comment.value.trim() || null });
    });
    more.appendChild(send);
    c.appendChild(more);
    this.more = more;
    this.levelsBox = levels;
    this.error = el("p", "rating-error");
    this.error.setAttribute("role", "alert");
    c.appendChild(this.error);
  };

  RatingForm.prototype.choose = function (level) {
    this.chosen = level;
    this.reason = null;
    Array.prototype.forEach.call(this.levelsBox.children, function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.level === level.code));
    });
    if (level.needs_reason) {
      this.more.hidden = false;
      var first = this.more.querySelector(".rating-reason");
      if (first) first.focus();
    } else {
      this.submit({ level: level.code, reason: null, comment: null });
    }
  };

  RatingForm.prototype.submit = function (data) {
    var self = this;
    this.error.textContent = "";
    return this.onSubmit(data).catch(function (error) {
      // static/common/http.js: a refusal is the API's bilingual error.
      var said = error && error.message_en !== undefined ? error : { message: "提交失败，请重试", message_en: "Could not send" };
      self.error.textContent = said.message + " " + (said.message_en || "");
    });
  };

  window.HallqRating = { RatingForm: RatingForm };
})();
