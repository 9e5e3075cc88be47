// sphinx-book-theme 1.3 and pydata-sphinx-theme 0.17 bind their sidebar
// handlers to the *first* .primary-toggle / .secondary-toggle of the page,
// which is a header button the book theme hides; the visible buttons did
// nothing (no navigation on phones). Forward their clicks to the bound one.
document.addEventListener("DOMContentLoaded", () => {
  for (const selector of [".primary-toggle", ".secondary-toggle"]) {
    const [bound, ...visible] = document.querySelectorAll(selector);
    for (const button of visible) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        bound.click();
      });
    }
  }
});
