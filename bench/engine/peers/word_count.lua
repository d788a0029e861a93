local counts = {}
local distinct = 0
for line in io.lines() do
  line = string.lower(line)
  for word in string.gmatch(line, "[^ ]+") do
    local c = counts[word]
    if c then
      counts[word] = c + 1
    else
      counts[word] = 1
      distinct = distinct + 1
    end
  end
end
print("distinct: " .. distinct)
for _, w in ipairs({"the", "and", "of", "to", "a"}) do
  print(w .. ": " .. (counts[w] or 0))
end
