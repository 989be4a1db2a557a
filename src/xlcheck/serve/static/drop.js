// Progressive: drag and drop onto the upload box, and the receipt's print button. The pages work
// without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-drop]").forEach(function (form) {
    var box = form.querySelector(".drop");
    var input = form.querySelector("input[type=file]");
    var hint = form.querySelector(".hint");
    if (!box || !input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      box.addEventListener(name, function (event) { event.preventDefault(); box.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      box.addEventListener(name, function () { box.classList.remove("over"); });
    });
    box.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        form.submit();
      }
    });
    input.addEventListener("change", function () {
      if (hint && input.files.length) { hint.textContent = input.files[0].name; }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
