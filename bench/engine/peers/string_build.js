const n = parseInt(process.argv[2], 10);
let s = "";
let i = 0;
while (i < n) {
  s = s + String(i) + ",";
  i++;
}
console.log(s.length);
console.log(s.slice(s.length - 7));
