// The funding plan form: checks each year against the funding rules as the applicant types (the server decides
// on submission; this only helps), and adds a year row. Texts come from the table's data-* attributes.
(function () {
  "use strict";
  var table = document.getElementById("plan");
  if (!table) { return; }
  var lang = table.getAttribute("data-lang") || "de";
  var money = new Intl.NumberFormat(lang === "de" ? "de-DE" : "en-GB", { style: "currency", currency: "EUR" });

  function text(name, values) {
    var template = table.getAttribute("data-msg-" + name) || "";
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values || {}, key) ? values[key] : all;
    });
  }

  // The amount in cents, null for an empty field, NaN for text that is no amount. Same reading as the server:
  // "18.000,50", "18000,50", "18000.50" and "18.000" all mean what a German reader means.
  function cents(typed) {
    var s = (typed || "").replace(/[\s\u00a0\u202f€]|EUR/g, "");
    if (s === "") { return null; }
    var german = /^(\d{1,3}(\.\d{3})*(,\d+)?|\d+(,\d+)?)$/.test(s);
    var english = /^(\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?)$/.test(s);
    if (german && !(english && lang === "en")) {
      s = s.split(".").join("").replace(",", ".");
    } else if (english) {
      s = s.split(",").join("");
    } else {
      return NaN;
    }
    if (!/^\d+(\.\d{1,2})?$/.test(s)) { return NaN; }
    var parts = s.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }

  function value(row, column) {
    var input = row.querySelector("[data-col='" + column + "']");
    return input ? input.value : "";
  }

  function check(row) {
    var out = row.querySelector(".plan-check");
    if (!out) { return; }
    var year = value(row, "year").trim();
    var staff = cents(value(row, "staff")), material = cents(value(row, "material"));
    var grant = cents(value(row, "grant")), own = cents(value(row, "own"));
    var source = value(row, "source").trim();
    if (!year && staff === null && material === null && grant === null && own === null && !source) {
      out.textContent = "";
      out.className = "plan-check";
      return;
    }
    var problems = [];
    if ([staff, material, grant, own].some(function (c) { return typeof c === "number" && isNaN(c); })) {
      problems.push(text("number"));
    } else {
      var total = (staff || 0) + (material || 0);
      grant = grant || 0;
      own = own || 0;
      if (total <= 0) {
        problems.push(text("total"));
      } else {
        var most = Math.floor(total * 9 / 10);
        if (grant * 10 > total * 9) {
          problems.push(text("over", { grant: money.format(grant / 100), total: money.format(total / 100),
                                       max: money.format(most / 100) }));
        }
        if (grant + own !== total) {
          problems.push(text("sum", { sum: money.format((grant + own) / 100), total: money.format(total / 100) }));
        }
      }
      if (own > 0 && !source) { problems.push(text("source")); }
    }
    if (problems.length) {
      out.textContent = problems.join(" ");
      out.className = "plan-check warn";
    } else {
      var share = total > 0 ? Math.round(grant * 1000 / total) / 10 : 0;
      out.textContent = text("ok", { year: year, total: money.format(total / 100),
                                     share: share.toLocaleString(lang === "de" ? "de-DE" : "en-GB") + " %" });
      out.className = "plan-check ok";
    }
  }

  var body = table.tBodies[0];
  body.addEventListener("input", function (event) {
    var row = event.target.closest("tr.plan-row");
    if (row) { check(row); }
  });
  Array.prototype.forEach.call(body.rows, check);

  var add = document.getElementById("add-year");
  var maxRows = parseInt(table.getAttribute("data-max-rows") || "10", 10);
  if (add) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = body.querySelectorAll("tr.plan-row");
      var filled = Array.prototype.filter.call(rows, function (r) {
        return Array.prototype.some.call(r.querySelectorAll("input"), function (i) { return i.value.trim() !== ""; });
      }).length;
      if (filled >= maxRows) { return; }
      var last = rows[rows.length - 1];
      var index = parseInt(last.getAttribute("data-row"), 10) + 1;
      var copy = last.cloneNode(true);
      copy.setAttribute("data-row", String(index));
      copy.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
      copy.querySelectorAll(".has-error").forEach(function (c) { c.classList.remove("has-error"); });
      copy.querySelectorAll("input").forEach(function (input) {
        var column = input.getAttribute("data-col");
        input.name = "plan-" + index + "-" + column;
        input.id = "f-" + input.name;
        input.value = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      });
      copy.querySelectorAll("label").forEach(function (label) {
        var target = label.getAttribute("for").replace(/^f-plan-\d+-/, "");
        label.setAttribute("for", "f-plan-" + index + "-" + target);
        label.textContent = label.textContent.replace(/\d+$/, String(index + 1));
      });
      var out = copy.querySelector(".plan-check");
      out.id = "check-" + index;
      out.textContent = "";
      body.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }
}());
