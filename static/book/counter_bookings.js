/* Today's bookings for the counter panel: a small widget the counter page can include.

     <section id="counter-bookings"> … templates/book/_counter_bookings.html … </section>
     HallqCounterBookings.mount(document.getElementById("counter-bookings"),
                                { window: 4, socket: live && live.socket });

   It reads GET /api/v1/windows/<window>/bookings with the clerk's session cookie, lists the
   window's bookings of today (time, service, masked citizen, status, ticket once checked in),
   and reads again on the hall's "bookings_changed" and ticket events, and every minute (a
   booking becomes due or overdue as time passes). Personal data arrives masked. */
(function () {
  "use strict";

  var REFRESH_MS = 60000;
  var EVENTS = ["bookings_changed", "ticket_issued", "ticket_called", "ticket_finished"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function mount(container, options) {
    var windowId = options.window;
    var list = container.querySelector(".bookings-list");
    var empty = container.querySelector(".bookings-empty");
    var count = container.querySelector(".bookings-count");
    var timer = null;
    var pending = null;

    function render(data) {
      list.textContent = "";
      data.bookings.forEach(function (b) {
        var item = el("li", "booking status-" + b.status);
        item.dataset.booking = String(b.id);
        item.appendChild(el("span", "booking-time", b.time));
        var what = el("span", "booking-what");
        what.appendChild(el("strong", "", b.item ? b.item.name : ""));
        var who = b.citizen.name + " " + b.citizen.id_number + (b.proxy ? " · 代办" : "");
        what.appendChild(el("span", "booking-who", who));
        item.appendChild(what);
        var status = el("span", "booking-status");
        status.appendChild(document.createTextNode(b.status_name + (b.ticket ? " " + b.ticket.number : "")));
        var en = el("small", "", b.status_name_en);
        en.lang = "en";
        status.appendChild(en);
        item.appendChild(status);
        list.appendChild(item);
      });
      empty.hidden = data.bookings.length > 0;
      if (count) count.textContent = String(data.counts.booked + data.counts.checked_in);
      container.dataset.loaded = "1";
    }

    function refresh() {
      // static/common/http.js (a refusal is the API's bilingual error).
      return window.HallqHttp.get("/windows/" + windowId + "/bookings").then(render, function () {
        container.dataset.loaded = "error";
      });
    }

    function soon() {
      clearTimeout(pending);
      pending = setTimeout(refresh, 100);
    }

    if (options.socket) {
      EVENTS.forEach(function (name) { options.socket.on(name, soon); });
    }
    timer = setInterval(refresh, options.every || REFRESH_MS);
    refresh();
    return {
      refresh: refresh,
      stop: function () {
        clearInterval(timer);
        if (options.socket) EVENTS.forEach(function (name) { options.socket.off(name, soon); });
      },
    };
  }

  window.HallqCounterBookings = { mount: mount };
})();
