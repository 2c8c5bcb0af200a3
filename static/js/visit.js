/* Quick contact log and offline drafts (DESIGN.md §7). No inline script, no eval (CSP).

   - Each contact form carries a client-generated id (hidden field client_uuid).
   - When the form cannot reach the server (offline, network error, session
     expired, server error), the whole entry is kept in localStorage under a
     key that includes the user id (body[data-user]): it survives a lost
     connection and a new sign-in, and is never sent as somebody else.
   - On every page load while signed in, and when the connection comes back,
     kept entries are POSTed to /contacts/brouillons/; the server stores each
     client_uuid once (201 created, 200 already there). An entry leaves the
     device only after a 200/201. A 400/403/404 marks it "to fix": it is
     listed with the message and a link that re-opens it in the form.
   - Signing out (form[data-logout]) erases the user's kept entries.
   The sentences come translated from templates/households/contact_sync.html;
   the French defaults below serve pages that do not include it. */
(function () {
  "use strict";

  var KEY_PREFIX = "logement-accompagne:contacts-hors-connexion:";
  var RETRY_MS = 60000;
  var DEFAULTS = {
    "offline-one": "Hors connexion : 1 contact en attente d'envoi, il sera envoyé automatiquement.",
    "offline-many": "Hors connexion : {n} contacts en attente d'envoi, ils seront envoyés automatiquement.",
    "pending-one": "1 contact saisi hors connexion est en attente d'envoi : envoi en cours…",
    "pending-many": "{n} contacts saisis hors connexion sont en attente d'envoi : envoi en cours…",
    "session-one": "Votre session a expiré : 1 contact est gardé sur cet appareil. Reconnectez-vous pour l'envoyer.",
    "session-many": "Votre session a expiré : {n} contacts sont gardés sur cet appareil. Reconnectez-vous pour les envoyer.",
    "login": "Se reconnecter",
    "sent-one": "1 contact saisi hors connexion a été envoyé.",
    "sent-many": "{n} contacts saisis hors connexion ont été envoyés.",
    "error": "Le contact du {date} pour {household} n'a pas été enregistré :",
    "reopen": "Reprendre la saisie",
    "discard": "Supprimer",
    "discard-confirm": "Supprimer définitivement ce contact non envoyé ?",
    "kept": "Hors connexion : le contact pour {household} est gardé sur cet appareil et sera envoyé automatiquement. Vous pouvez saisir le suivant.",
    "kept-session": "Votre session a expiré : le contact pour {household} est gardé sur cet appareil. Reconnectez-vous pour l'envoyer.",
    "kept-server": "Le serveur ne répond pas : le contact pour {household} est gardé sur cet appareil et sera renvoyé automatiquement.",
    "reopened": "Contact non envoyé repris : corrigez-le puis enregistrez.",
    "logout": "Des contacts saisis hors connexion n'ont pas encore été envoyés ({n}). En vous déconnectant, ils seront effacés de cet appareil. Se déconnecter quand même ?"
  };
  var SKIPPED_FIELDS = { csrfmiddlewaretoken: true, action: true, q: true, choisir: true };

  var userId = null;
  var syncing = false;
  var offline = false;
  var sessionExpired = false;
  var lastSent = 0;

  // ------------------------------------------------------------------ storage

  function storageKey() { return KEY_PREFIX + userId; }

  function load() {
    if (!userId) return [];
    try {
      var list = JSON.parse(window.localStorage.getItem(storageKey()) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (error) {
      return [];
    }
  }

  function save(list) {
    if (!userId) return;
    if (list.length) {
      window.localStorage.setItem(storageKey(), JSON.stringify(list));
    } else {
      window.localStorage.removeItem(storageKey());
    }
  }

  function removeDraft(uuid) {
    save(load().filter(function (draft) { return draft.uuid !== uuid; }));
  }

  function updateDraft(uuid, changes) {
    save(load().map(function (draft) {
      if (draft.uuid !== uuid) return draft;
      Object.keys(changes).forEach(function (key) { draft[key] = changes[key]; });
      return draft;
    }));
  }

  function newUuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // ------------------------------------------------------------------ sentences

  function banner() { return document.querySelector("[data-sync-banner]"); }

  function msg(name, vars) {
    var el = banner();
    var text = (el && el.getAttribute("data-msg-" + name)) || DEFAULTS[name] || "";
    Object.keys(vars || {}).forEach(function (key) { text = text.split("{" + key + "}").join(String(vars[key])); });
    return text;
  }

  function plural(name, n) { return msg(name + (n === 1 ? "-one" : "-many"), { n: n }); }

  function frenchDate(iso) {
    var parts = String(iso || "").split("-");
    return parts.length === 3 ? parts[2] + "/" + parts[1] + "/" + parts[0] : String(iso || "");
  }

  function setting(name, fallback) {
    var el = banner();
    return (el && el.getAttribute(name)) || fallback;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // ------------------------------------------------------------------ banner

  function ensureBanner() {
    var el = banner();
    if (el) return el;
    var main = document.getElementById("contenu");
    if (!main) return null;
    el = document.createElement("div");
    el.className = "sync sync--offline";
    el.setAttribute("data-sync-banner", "");
    el.setAttribute("role", "status");
    el.setAttribute("aria-live", "polite");
    main.insertBefore(el, main.firstChild);
    return el;
  }

  function ensureFailedList() {
    var box = document.querySelector("[data-draft-errors]");
    if (box) return box;
    var el = ensureBanner();
    if (!el) return null;
    box = document.createElement("div");
    box.className = "drafts-failed";
    box.setAttribute("data-draft-errors", "");
    box.hidden = true;
    box.appendChild(document.createElement("ul")).className = "plain drafts-failed__list";
    el.parentNode.insertBefore(box, el.nextSibling);
    return box;
  }

  function render() {
    var drafts = load();
    var pending = drafts.filter(function (d) { return d.state !== "error"; });
    var failed = drafts.filter(function (d) { return d.state === "error"; });
    updateKeptNotice(drafts);
    if (!pending.length && !failed.length && !lastSent && !banner()) return;
    var el = ensureBanner();
    if (!el) return;
    el.textContent = "";
    el.classList.remove("is-visible", "sync--sent");
    el.classList.add("sync--offline");
    if (pending.length) {
      var state = sessionExpired ? "session" : (offline || navigator.onLine === false ? "offline" : "pending");
      el.setAttribute("data-state", state);
      el.appendChild(document.createTextNode(plural(state, pending.length)));
      if (sessionExpired) {
        var link = document.createElement("a");
        link.href = setting("data-login-url", "/compte/connexion/") + "?next=" + encodeURIComponent(window.location.pathname + window.location.search);
        link.textContent = msg("login");
        link.className = "sync__action";
        el.appendChild(document.createTextNode(" "));
        el.appendChild(link);
      }
      el.classList.add("is-visible");
    } else if (lastSent) {
      el.setAttribute("data-state", "sent");
      el.classList.remove("sync--offline");
      el.classList.add("sync--sent", "is-visible");
      el.appendChild(document.createTextNode(plural("sent", lastSent)));
    } else {
      el.removeAttribute("data-state");
    }
    renderFailed(failed);
  }

  /* The "kept on this device" notice follows its draft: hidden once the draft
     was sent or refused by the server (the failed list then says why), and
     told again when the session expires or the connection comes back. */
  function updateKeptNotice(drafts) {
    var notice = document.querySelector("[data-draft-kept][data-kind='kept']");
    if (!notice || notice.hidden) return;
    var uuid = notice.getAttribute("data-draft-uuid");
    var draft = drafts.filter(function (d) { return d.uuid === uuid; })[0];
    if (!draft || draft.state === "error") {
      notice.hidden = true;
      return;
    }
    var reason = sessionExpired ? "session" : (offline || navigator.onLine === false ? "offline" : notice.getAttribute("data-reason"));
    if (reason !== notice.getAttribute("data-reason")) {
      notice.textContent = msg(keptMessage(reason), { household: draft.household || "?" });
      notice.setAttribute("data-reason", reason);
    }
  }

  function keptMessage(reason) {
    return reason === "session" ? "kept-session" : reason === "server" ? "kept-server" : "kept";
  }

  function renderFailed(failed) {
    var box = failed.length ? ensureFailedList() : document.querySelector("[data-draft-errors]");
    if (!box) return;
    var list = box.querySelector("ul");
    list.textContent = "";
    box.hidden = !failed.length;
    failed.forEach(function (draft) {
      var item = document.createElement("li");
      item.className = "alert alert--error drafts-failed__item";
      var text = document.createElement("p");
      text.textContent = msg("error", { date: frenchDate(draft.date), household: draft.household || "?" });
      item.appendChild(text);
      var details = fieldErrors(draft.errors);
      // The lead sentence already says the contact was not saved: only the reason follows.
      if (!details.length && draft.message) details = [withoutLead(draft.message)];
      if (details.length) {
        var ul = document.createElement("ul");
        ul.className = "drafts-failed__errors";
        details.forEach(function (line) { ul.appendChild(document.createElement("li")).textContent = line; });
        item.appendChild(ul);
      }
      var actions = document.createElement("p");
      actions.className = "drafts-failed__actions";
      var reopen = document.createElement("a");
      reopen.className = "button button--small";
      reopen.href = setting("data-form-url", "/contacts/nouveau/") + "?brouillon=" + encodeURIComponent(draft.uuid);
      reopen.textContent = msg("reopen");
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button button--small button--secondary";
      discard.setAttribute("data-discard-draft", draft.uuid);
      discard.textContent = msg("discard");
      actions.appendChild(reopen);
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(discard);
      item.appendChild(actions);
      list.appendChild(item);
    });
  }

  /* "Ce contact n'a pas pu être enregistré : corrigez la saisie." → "Corrigez la saisie." */
  function withoutLead(message) {
    var rest = String(message).replace(/^[^:]*(n'|n’)a pas pu être enregistré\s*:\s*/, "");
    return rest ? rest.charAt(0).toUpperCase() + rest.slice(1) : String(message);
  }

  function fieldErrors(errors) {
    var lines = [];
    Object.keys(errors || {}).forEach(function (name) {
      (errors[name] || []).forEach(function (text) { if (lines.indexOf(text) === -1) lines.push(text); });
    });
    return lines;
  }

  // ------------------------------------------------------------------ sending

  function encode(fields) {
    var params = new URLSearchParams();
    (fields || []).forEach(function (pair) { params.append(pair[0], pair[1]); });
    return params.toString();
  }

  function send(draft) {
    return window.fetch(setting("data-sync-url", "/contacts/brouillons/"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrfToken(),
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
      },
      body: encode(draft.fields)
    }).then(function (response) {
      offline = false;
      var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      var body = isJson ? response.json().catch(function () { return null; }) : Promise.resolve(null);
      return body.then(function (data) {
        if ((response.status === 200 || response.status === 201) && data) {
          removeDraft(draft.uuid);
          sessionExpired = false;
          return "sent";
        }
        if (response.status === 401 || !isJson) {
          sessionExpired = true;  // signed out, or a sign-in / CSRF page instead of the answer
          return "stop";
        }
        if (data && (response.status === 400 || response.status === 403 || response.status === 404)) {
          sessionExpired = false;
          updateDraft(draft.uuid, { state: "error", message: data.message || "", errors: data.errors || {} });
          return "error";
        }
        return "stop";  // server error: try again later
      });
    }, function () {
      offline = true;
      return "stop";
    });
  }

  function syncAll() {
    if (!userId || syncing) return Promise.resolve();
    var pending = load().filter(function (d) { return d.state !== "error"; });
    if (!pending.length) { render(); return Promise.resolve(); }
    if (navigator.onLine === false) { offline = true; render(); return Promise.resolve(); }
    syncing = true;
    render();
    var sent = 0;
    var chain = Promise.resolve("go");
    pending.forEach(function (draft) {
      chain = chain.then(function (previous) {
        if (previous === "stop") return "stop";
        return send(draft).then(function (outcome) {
          if (outcome === "sent") sent += 1;
          return outcome;
        });
      });
    });
    return chain.then(function () {
      syncing = false;
      if (sent) lastSent = sent;
      render();
    }, function () {
      syncing = false;
      render();
    });
  }

  // ------------------------------------------------------------------ the form

  function contactForm() { return document.querySelector("[data-contact-form]"); }

  /* The contact form that sent the request (htmx fires some events on the swap target, the form is in requestConfig). */
  function contactFormOf(detail) {
    var elt = detail && ((detail.requestConfig && detail.requestConfig.elt) || detail.elt);
    return elt && elt.matches && elt.matches("[data-contact-form]") ? elt : null;
  }


  function checkedLabel(form, name) {
    var input = form.querySelector("input[name='" + name + "']:checked");
    return input && input.parentNode ? input.parentNode.textContent.trim() : "";
  }

  function householdLabel(form) {
    var box = form.querySelector("[data-household-label]");
    return box ? box.getAttribute("data-household-label") : "";
  }

  function keepDraft(form, reason) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (!SKIPPED_FIELDS[name] && typeof value === "string") fields.push([name, value]);
    });
    var uuidInput = form.querySelector("[data-client-uuid]");
    if (!uuidInput.value) uuidInput.value = newUuid();
    var uuid = uuidInput.value;
    if (!fields.some(function (pair) { return pair[0] === "client_uuid"; })) fields.push(["client_uuid", uuid]);
    var dateInput = form.querySelector("input[name='occurred_on']");
    var household = householdLabel(form);
    var drafts = load().filter(function (d) { return d.uuid !== uuid; });
    drafts.push({
      uuid: uuid,
      fields: fields,
      household: household,
      kind: checkedLabel(form, "kind"),
      date: dateInput ? dateInput.value : "",
      savedAt: new Date().toISOString(),
      state: "pending"
    });
    save(drafts);
    if (reason === "session") sessionExpired = true;
    if (reason === "offline") offline = true;
    var notice = document.querySelector("[data-draft-kept]");
    if (notice) {
      notice.textContent = msg(keptMessage(reason), { household: household });
      notice.setAttribute("data-kind", "kept");
      notice.setAttribute("data-draft-uuid", uuid);
      notice.setAttribute("data-reason", reason);
      notice.hidden = false;
    }
    resetForm(form);
    render();
    var top = banner() || notice;
    if (top) top.scrollIntoView({ block: "start" });
  }

  function resetForm(form) {
    form.querySelectorAll("input[name='kind'], input[name='duration_preset'], input[name='goals']").forEach(function (input) {
      input.checked = false;
    });
    var other = form.querySelector("input[name='duration_other']");
    if (other) other.value = "";
    var note = form.querySelector("textarea[name='note']");
    if (note) note.value = "";
    form.querySelector("[data-client-uuid]").value = newUuid();
    syncDuration(form);
  }

  function syncDuration(form) {
    var box = form && form.querySelector("[data-duration]");
    if (!box) return;
    var kind = form.querySelector("input[name='kind']:checked");
    var noShow = !!kind && kind.value === "no_show";
    box.hidden = noShow;
    if (noShow) {
      box.querySelectorAll("input[type='radio']").forEach(function (input) { input.checked = false; });
      var other = box.querySelector("input[name='duration_other']");
      if (other) other.value = "";
    }
  }

  function setValue(form, name, value) {
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.value === value) input.checked = true;
      } else {
        input.value = value;
      }
    });
  }

  function reopenDraft(form, uuid) {
    var draft = load().filter(function (d) { return d.uuid === uuid; })[0];
    if (!draft) return;
    var values = {};
    draft.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    form.querySelector("[data-client-uuid]").value = draft.uuid;
    ["kind", "occurred_on", "duration_preset", "duration_other", "note"].forEach(function (name) {
      (values[name] || []).forEach(function (value) { setValue(form, name, value); });
    });
    syncDuration(form);
    var notice = document.querySelector("[data-draft-kept]");
    if (notice) {
      var reasons = fieldErrors(draft.errors);
      notice.textContent = msg("reopened") + " " + (reasons.length ? reasons.join(" ") : draft.message || "");
      notice.setAttribute("data-kind", "reopened");
      notice.hidden = false;
    }
    var householdId = (values.household || [])[0];
    var url = form.getAttribute("data-household-url");
    if (householdId && url && window.htmx) {
      window.htmx.ajax("GET", url + "?menage=" + encodeURIComponent(householdId), { target: "#contact-household", swap: "innerHTML" })
        .then(function () {
          (values.measure || []).forEach(function (value) { setValue(form, "measure", value); });
          (values.goals || []).forEach(function (value) { setValue(form, "goals", value); });
        });
    }
  }

  // ------------------------------------------------------------------ wiring

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = contactFormOf(event.detail);
    if (!form) return;
    if (!form.querySelector("[data-household-id]")) {
      event.preventDefault();
      var missing = form.querySelector("[data-household-missing]");
      if (missing) missing.hidden = false;
      var search = form.querySelector("[data-household-search]");
      if (search) search.focus();
      return;
    }
    if (navigator.onLine === false) {
      event.preventDefault();
      keepDraft(form, "offline");
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = contactFormOf(event.detail);
    if (form) keepDraft(form, "offline");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = contactFormOf(event.detail);
    if (!form) return;
    var xhr = event.detail.xhr;
    var loginPath = form.getAttribute("data-login-url") || "/compte/connexion/";
    var landedOnLogin = false;
    try {
      landedOnLogin = !!xhr.responseURL && new URL(xhr.responseURL).pathname === loginPath;
    } catch (error) { /* no URL support: keep the default */ }
    var ours = (xhr.responseText || "").indexOf("data-contact-") !== -1;
    if (xhr.status === 401 || landedOnLogin || (xhr.status === 403 && !ours)) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      keepDraft(form, "session");
      return;
    }
    if ((xhr.status === 400 || xhr.status === 403 || xhr.status === 409) && ours) {
      event.detail.shouldSwap = true;  // the form again, with the errors
      event.detail.isError = false;
      return;
    }
    if (xhr.status >= 500) {
      event.detail.shouldSwap = false;
      keepDraft(form, "server");
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.id === "contact-panel") {
      var saved = target.querySelector("[data-contact-saved]");
      if (saved) {
        removeDraft(saved.getAttribute("data-client-uuid"));
        render();
        var title = target.querySelector("[data-autofocus]");
        if (title) title.focus();
      } else {
        var form = target.querySelector("[data-contact-form]");
        syncDuration(form);
        var invalid = target.querySelector(".field--error input:not([type='hidden']), .field--error textarea, [role='alert']");
        if (invalid) {
          if (!invalid.matches("input, textarea")) invalid.setAttribute("tabindex", "-1");
          invalid.focus();
        }
      }
    } else if (target.id === "contact-household") {
      var form2 = contactForm();
      var missing = form2 && form2.querySelector("[data-household-missing]");
      if (missing) missing.hidden = true;
      var name = target.querySelector("#chosen-household-name");
      if (name) {
        name.focus();
      } else {
        var search = target.querySelector("[data-household-search]");
        if (search) search.focus();
      }
    }
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.form;
    if (!form || !form.matches("[data-contact-form]")) return;
    if (input.name === "kind") syncDuration(form);
    if (input.name === "duration_preset") {
      var other = form.querySelector("input[name='duration_other']");
      if (other) other.value = "";
    }
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.name !== "duration_other" || !input.value || !input.form) return;
    input.form.querySelectorAll("input[name='duration_preset']").forEach(function (radio) { radio.checked = false; });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-discard-draft]");
    if (!button) return;
    if (!window.confirm(msg("discard-confirm"))) return;
    removeDraft(button.getAttribute("data-discard-draft"));
    render();
  });

  // Signing out erases this user's kept contacts from the device (after a warning if some are unsent).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-logout]") || !userId) return;
    var drafts = load();
    if (drafts.length && !window.confirm(msg("logout", { n: drafts.length }))) {
      event.preventDefault();
      syncAll();
      return;
    }
    window.localStorage.removeItem(storageKey());
  }, true);

  window.addEventListener("online", function () { offline = false; syncAll(); });
  window.addEventListener("offline", function () { offline = true; render(); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) syncAll(); });

  function start() {
    userId = document.body.getAttribute("data-user");
    if (!userId) return;  // signed out: nothing is sent, nothing is erased (a new sign-in will send them)
    var form = contactForm();
    if (form) {
      var uuidInput = form.querySelector("[data-client-uuid]");
      if (uuidInput && !uuidInput.value) uuidInput.value = newUuid();
      syncDuration(form);
      var wanted = new URLSearchParams(window.location.search).get("brouillon");
      if (wanted) reopenDraft(form, wanted);
    }
    syncAll();
    window.setInterval(function () {
      if (load().some(function (d) { return d.state !== "error"; })) syncAll();
    }, RETRY_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
