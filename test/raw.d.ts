/** Vite's `?raw` imports: a file's text (used to compare uploads with the shared fixtures). */
declare module '*?raw' {
  const text: string
  export default text
}
