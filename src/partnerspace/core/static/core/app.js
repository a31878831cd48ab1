// Small behaviours the pages share. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog) {
        event.preventDefault();
        var menu = opener.closest("details.menu");
        if (menu) menu.removeAttribute("open");
        // A dialog shared by many rows learns from the row's button what it acts on.
        var action = opener.getAttribute("data-dialog-action");
        if (action) dialog.querySelector("form").setAttribute("action", action);
        var name = opener.getAttribute("data-dialog-name");
        dialog.querySelectorAll("[data-dialog-name]").forEach(function (slot) {
          slot.textContent = name || "";
        });
        dialog.showModal();
      }
      return;
    }
    var toggle = event.target.closest("[data-toggle-nav]");
    if (toggle) {
      var open = toggle.closest(".sidebar").classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    // A secret shown once (a new API token): selected, and put on the clipboard where allowed.
    var copier = event.target.closest("[data-copy]");
    if (copier) {
      var source = document.querySelector(copier.getAttribute("data-copy"));
      if (source) {
        source.select();
        // Refused without the page's permission: the text stays selected for Ctrl-C.
        if (navigator.clipboard) navigator.clipboard.writeText(source.value).catch(function () {});
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      event.preventDefault();
      closer.closest("dialog").close();
      return;
    }
    // A click outside an open menu closes it.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".message").remove();
  });

  // A row's ⋯ menu inside a table that scrolls sideways would be cut off by it (the last rows'
  // menus most of all): an open menu floats above the page, below its button, or above it
  // where the window ends.
  function placeMenu(menu) {
    var items = menu.querySelector(".menu-items");
    if (!items) return;
    var button = menu.querySelector("summary").getBoundingClientRect();
    items.classList.add("is-floating");
    var height = items.offsetHeight;
    var width = items.offsetWidth;
    var top = button.bottom + 4;
    if (top + height > window.innerHeight - 8 && button.top - height - 4 >= 8) {
      top = button.top - height - 4;
    }
    var left = Math.max(8, Math.min(button.right - width, window.innerWidth - width - 8));
    items.style.top = top + "px";
    items.style.left = left + "px";
  }
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details.menu") || !menu.closest(".table-wrap")) return;
    if (menu.open) placeMenu(menu);
  }, true);
  // Scrolling or resizing moves an open menu with its button; it closes once the button
  // has left the window.
  function followFloatingMenus(event) {
    if (event && event.target.closest && event.target.closest(".menu-items")) return;
    document.querySelectorAll(".table-wrap details.menu[open]").forEach(function (menu) {
      var button = menu.querySelector("summary").getBoundingClientRect();
      if (button.bottom < 0 || button.top > window.innerHeight) menu.removeAttribute("open");
      else placeMenu(menu);
    });
  }
  window.addEventListener("resize", followFloatingMenus);
  document.addEventListener("scroll", followFloatingMenus, true);

  // A row with data-href opens its page on a click or a double-click anywhere in it, except
  // on what has its own click: links, buttons, the checkbox, the ⋯ menu. Selecting text in
  // the row does not open it.
  function openRow(event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.button !== 0) return;
    if (event.target.closest("a, button, input, select, textarea, label, summary, details, dialog, .select-cell")) return;
    var selected = window.getSelection ? String(window.getSelection()) : "";
    if (event.type === "click" && selected) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey) {
      window.open(row.getAttribute("data-href"), "_blank");
      return;
    }
    window.location.assign(row.getAttribute("data-href"));
  }
  document.addEventListener("click", openRow);
  document.addEventListener("dblclick", openRow);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
      });
    }
  });

  // The server changed the selection (select all matching, clear): the ticks follow it.
  function tickRows(checked) {
    document.querySelectorAll("input[data-row-select], input[data-select-all]").forEach(function (box) {
      box.checked = checked;
    });
  }
  document.addEventListener("selection-all", function () { tickRows(true); });
  document.addEventListener("selection-cleared", function () { tickRows(false); });

  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var scope = document.querySelector(all.getAttribute("data-select-all"));
      (scope || document).querySelectorAll("input[data-row-select]").forEach(function (box) {
        if (box.checked !== all.checked) {
          box.checked = all.checked;
          box.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    }
    var submitter = event.target.closest("[data-autosubmit]");
    if (submitter && submitter.form && !submitter.hasAttribute("hx-get")) submitter.form.requestSubmit();
  });
  // Klant toevoegen: the contact's language follows the address being typed, until the user
  // picks a language. The rule's tables come from the server (identifiers.choices.locale_rule),
  // in the select's data-locale-follows-address.
  function defaultLocale(rule, country, postal) {
    country = (country || "BE").toUpperCase();
    if (country !== "BE") return rule.countries[country] || rule.other;
    var digits = (postal || "").replace(/\D/g, "");
    if (digits.length !== 4) return rule.belgium;
    var code = parseInt(digits, 10);
    for (var i = 0; i < rule.ranges.length; i++) {
      if (code >= rule.ranges[i][0] && code <= rule.ranges[i][1]) return rule.ranges[i][2];
    }
    return rule.belgium;
  }
  function followAddress(event) {
    var form = event.target.form;
    if (!form) return;
    var language = form.querySelector("select[data-locale-follows-address]");
    if (!language) return;
    if (event.target === language) {
      language.removeAttribute("data-locale-follows-address");
      return;
    }
    if (event.target.name !== "country" && event.target.name !== "postal_code") return;
    var country = form.querySelector("[name=country]");
    var postal = form.querySelector("[name=postal_code]");
    var rule = JSON.parse(language.getAttribute("data-locale-follows-address"));
    var wanted = defaultLocale(rule, country && country.value, postal && postal.value);
    if (language.querySelector('option[value="' + wanted + '"]')) language.value = wanted;
  }
  document.addEventListener("input", followAddress);
  document.addEventListener("change", followAddress);

  // Klant toevoegen with the KBO register: the details wait below the look-up until a
  // company is chosen or the user fills them in; without this script the whole form is
  // there, and a company chosen opens the form filled by the server.
  var registerDetails = document.querySelector('form[data-register-details="wait"]');
  var registerManual = document.querySelector("[data-register-manual]");
  if (registerDetails) {
    registerDetails.hidden = true;
    if (registerManual) registerManual.hidden = false;
  }
  function showDetails(focusName) {
    var details = document.querySelector("form[data-register-details]");
    if (!details) return;
    details.hidden = false;
    if (registerManual) registerManual.hidden = true;
    var field = details.querySelector('[name="' + focusName + '"]');
    if (field) field.focus();
  }
  function fillFromRegister(link) {
    var details = document.querySelector("form[data-register-details]");
    var values = JSON.parse(link.getAttribute("data-register-fill"));
    details.querySelectorAll("[data-field-note]").forEach(function (note) {
      var name = note.getAttribute("data-field-note");
      var input = details.querySelector('[name="' + name + '"]');
      if (!input) return;
      if (Object.prototype.hasOwnProperty.call(values, name)) {
        input.value = values[name];
        note.hidden = false;
      } else if (!note.hidden) {
        // A value an earlier choice filled in, which this company does not have.
        input.value = "";
        note.hidden = true;
      }
    });
    var number = details.querySelector("[data-register-number]");
    if (number) number.value = link.getAttribute("data-register-number");
    // The contact's language follows the address just filled in.
    ["country", "postal_code"].forEach(function (name) {
      var input = details.querySelector('[name="' + name + '"]');
      if (input) input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    var matches = document.getElementById("register-matches");
    if (matches) matches.textContent = "";
    showDetails("legal_name");
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-register-fill]");
    if (link && document.querySelector("form[data-register-details]")) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      fillFromRegister(link);
      return;
    }
    if (event.target.closest("[data-register-manual]")) {
      event.preventDefault();
      // What was typed in the look-up starts the form: a number, or else the name.
      var query = document.getElementById("register-q");
      var typed = query ? query.value.trim() : "";
      var target = "legal_name";
      if (/^be[\d\s.\/-]+$/i.test(typed)) target = "vat_number";
      else if (/^[\d\s.\/-]+$/.test(typed)) target = "company_number";
      var details = document.querySelector("form[data-register-details]");
      var input = details && details.querySelector('[name="' + target + '"]');
      if (input && !input.value && typed) input.value = typed;
      showDetails(target);
    }
  });
  // A value the register filled in and the user changes is no longer the register's.
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!event.isTrusted || !form || !form.hasAttribute("data-register-details")) return;
    var note = form.querySelector('[data-field-note="' + event.target.name + '"]');
    if (note) note.hidden = true;
  });
})();
