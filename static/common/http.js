/* hallq HTTP helper: every page's calls to /api/v1 go through HallqHttp.request, and every
   refusal arrives in one shape, the API's bilingual error:

     error.status      HTTP status (0: no answer at all, the network or the server is down)
     error.error       the API's code, e.g. "not_found", "conflict" ("network", "server")
     error.message     中文说明 (the API's message)
     error.message_en  English
     error.data        the API's whole JSON body (some refusals carry more fields)

   HallqHttp.request(method, url, body, options) → a promise of the reply's JSON (null when the
   reply has none). `url` may leave out the "/api/v1" prefix. options:
     csrf     the session's CSRF token, sent with every change made with the session cookie
     token    a device's bearer token (kiosk, evaluation pad)
     headers  more headers (e.g. Idempotency-Key)
     timeout  milliseconds before giving up (a network error, status 0) */
(function () {
  "use strict";

  var PREFIX = "/api/v1";
  var NETWORK = ["网络连接中断，请检查网络后重试", "No connection; check the network and try again"];

  function refusal(status, data) {
    var body = data && typeof data === "object" && data.message ? data : {
      error: status ? "server" : "network",
      message: status ? "系统出现问题（" + status + "），请稍后再试" : NETWORK[0],
      message_en: status ? "Something went wrong (" + status + "); please try again" : NETWORK[1],
    };
    var error = new Error(body.message);
    error.status = status;
    error.error = body.error;
    error.message_en = body.message_en || "";
    error.data = body;
    return error;
  }

  function request(method, url, body, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined && body !== null && method !== "GET") {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (options.csrf && method !== "GET") headers["X-CSRF-Token"] = options.csrf;
    if (options.token) headers.Authorization = "Bearer " + options.token;
    Object.keys(options.headers || {}).forEach(function (k) { headers[k] = options.headers[k]; });
    var abort = options.timeout && typeof AbortController === "function" ? new AbortController() : null;
    var timer = abort ? setTimeout(function () { abort.abort(); }, options.timeout) : null;
    if (abort) init.signal = abort.signal;
    var address = url.indexOf("/api/") === 0 ? url : PREFIX + url;
    return fetch(address, init).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) throw refusal(response.status, data);
        return data;
      });
    }, function () {
      clearTimeout(timer);
      throw refusal(0, null);
    });
  }

  window.HallqHttp = {
    request: request,
    get: function (url, options) { return request("GET", url, undefined, options); },
    post: function (url, body, options) { return request("POST", url, body || {}, options); },
    refusal: refusal,
  };
})();
