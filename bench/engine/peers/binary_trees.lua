local function bottom_up_tree(depth)
  local node = {left = nil, right = nil}
  if depth > 0 then
    node.left = bottom_up_tree(depth - 1)
    node.right = bottom_up_tree(depth - 1)
  end
  return node
end

local function item_check(node)
  if node.left == nil then return 1 end
  return 1 + item_check(node.left) + item_check(node.right)
end

local n = tonumber(arg[1])
local min_depth = 4
local max_depth = math.max(min_depth + 2, n)
print(string.format("stretch tree of depth %d\t check: %d", max_depth + 1,
                    item_check(bottom_up_tree(max_depth + 1))))
local long_lived = bottom_up_tree(max_depth)
local depth = min_depth
while depth <= max_depth do
  local iterations = 1 << (max_depth - depth + min_depth)
  local check = 0
  local i = 1
  while i <= iterations do
    check = check + item_check(bottom_up_tree(depth))
    i = i + 1
  end
  print(string.format("%d\t trees of depth %d\t check: %d", iterations, depth, check))
  depth = depth + 2
end
print(string.format("long lived tree of depth %d\t check: %d", max_depth, item_check(long_lived)))
