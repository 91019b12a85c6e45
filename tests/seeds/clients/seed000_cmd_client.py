# Seed 000's client for the framed command server (the 粘包 fix), adapted
# only for a port from argv.
import json
import struct
import sys
from socket import *

client = socket()
client.connect(("localhost", int(sys.argv[1])))
while 1:
    command = input(">>>").strip()
    if not command:
        continue
    if command == "exit":
        break
    client.send(command.encode("u8"))
    # step01:接收数据头长度,也就是数据头字典的bufsize
    dataHeadLength = struct.unpack("i", client.recv(4))[0]
    # step02:提取数据头字典
    dataHeadDict = json.loads(client.recv(dataHeadLength))
    # step03:提取数据体长度和数据体类型
    dataBodyLength= dataHeadDict.get("dataBodyLength")
    # step04:提取数据体
    dataBody = b""
    currentRecvDataBodyLength = 0
    while currentRecvDataBodyLength < dataBodyLength:
        currentRecvResult = client.recv(1024)
        dataBody += currentRecvResult
        currentRecvDataBodyLength += len(currentRecvResult)
    else:
        print(dataBody.decode("u8"))
print("client close")
client.close()
