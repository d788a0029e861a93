local n = tonumber(arg[1])
local s = ""
local i = 0
while i < n do
  s = s .. tostring(i) .. ","
  i = i + 1
end
print(#s)
print(string.sub(s, #s - 6))
