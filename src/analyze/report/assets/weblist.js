/* The -weblist page: a click on a source line that has instructions shows or hides them. */
document.addEventListener('click', function (ev) {
  var body = ev.target.closest('tbody.live');
  if (!body || ev.target.closest('tr.asm') || window.getSelection().toString() !== '') return;
  body.classList.toggle('open');
});
