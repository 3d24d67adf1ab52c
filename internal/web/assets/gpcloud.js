// Starts the NHS.UK design system's components, and again on what htmx
// swaps in. A module file (not an inline script) so the
// Content-Security-Policy can forbid inline code.
import { initAll } from '/assets/nhsuk-frontend.min.js'
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
document.body.addEventListener('htmx:afterSettle', (e) => initAll({ scope: e.detail.elt }))

// Arrow keys through a list of links, as in a search box's results: the
// down arrow from an input marked data-arrow-into="ID" goes to the first
// link of the list in element ID, up and down move within a list marked
// data-arrow-list, and up from its first link goes back to the input.
// Enter then follows the link, as for any link.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return
  const t = e.target
  if (t.dataset && t.dataset.arrowInto) {
    if (e.key !== 'ArrowDown') return
    const first = document.querySelector('#' + t.dataset.arrowInto + ' [data-arrow-list] a')
    if (first) { e.preventDefault(); first.focus() }
    return
  }
  const list = t.closest && t.closest('[data-arrow-list]')
  if (!list) return
  const links = Array.from(list.querySelectorAll('a'))
  const i = links.indexOf(t)
  if (i < 0) return
  e.preventDefault()
  if (e.key === 'ArrowDown' && i + 1 < links.length) links[i + 1].focus()
  if (e.key === 'ArrowUp') {
    if (i > 0) links[i - 1].focus()
    else { const input = document.querySelector('[data-arrow-into]'); if (input) input.focus() }
  }
})

// Frutiger from assets.nhs.uk, asked for only after the page has loaded:
// unreachable (offline, a firewall), it delays nothing and the text stays
// in the fallback font stack (see nhs-fonts.css).
const addFonts = () => {
  const link = document.createElement('link')
  link.rel = 'stylesheet'
  link.href = '/assets/nhs-fonts.css'
  document.head.appendChild(link)
}
if (document.readyState === 'complete') addFonts()
else window.addEventListener('load', addFonts, { once: true })
